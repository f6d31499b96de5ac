def test_it_redirects_home_to_policy(client):
    response = client.get("/")
    assert response.status_code == 302
