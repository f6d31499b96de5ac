# Customers' own requests become their own app. DataRequest and DisclosureLink were
# models of the policy app (policy 0001 to 0007): their state is taken over from
# policy 0008, their tables renamed with every row, and their content types (with the
# permissions and their groups) follow.
#
# Every sealed value of a request is bound to its model by name (vault.encryption: the
# associated data starts with "policy.datarequest:<field>:"), so each is opened under
# the old name and sealed again under "datarequests.datarequest:<field>:", with the key
# it had and a fresh nonce, as format version 2 (values of version 1, from databases
# older than customers 0013, are read as such). A value that cannot be decrypted stops
# the migration, naming table, column and row, never the value. Backwards, the same the
# other way.

import customers.validators
import django.db.models.deletion
import django.utils.timezone
import uuid
import vault.encryption
from django.conf import settings
from django.db import migrations, models

from vault.encryption import DecryptionError, decrypt, encrypt

SEALED = ["name", "email", "phone", "details", "note", "refusal_reason"]
BATCH = 1000

def move_content_type(model, old_app, new_app):
    """A RunPython step giving ``model``'s content type (and so its permissions, their
    groups and any admin log entry) to ``new_app``. Frozen here, not imported."""

    def run(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        types = ContentType.objects.using(db)
        old = types.filter(app_label=old_app, model=model).first()
        if old is None:
            return  # a new database: post_migrate makes the new one
        new = types.filter(app_label=new_app, model=model).first()
        if new is not None:
            # Both exist (a migrate back and forth): the groups keep each permission.
            for permission in old.permission_set.all():
                twin = new.permission_set.filter(codename=permission.codename).first()
                if twin is not None:
                    twin.group_set.add(*permission.group_set.all())
            old.delete()
            return
        old.app_label = new_app
        old.save(update_fields=["app_label"])

    return run


def row_part(pk, version):
    """The row's part of the associated data: text in version 1, 16 bytes in version 2."""
    return str(pk).encode() if version == 1 else pk.bytes


def rebind(old_label, new_label):
    """A RunPython step sealing every request's values for ``new_label`` instead."""

    def run(apps, schema_editor):
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        model = apps.get_model("datarequests", "DataRequest")
        table, pk_field = model._meta.db_table, model._meta.pk
        rows = model._base_manager.using(connection.alias).order_by("pk")
        for name in SEALED:
            old, new = f"{old_label}:{name}:".encode(), f"{new_label}:{name}:".encode()
            update = (
                f"UPDATE {quote(table)} SET {quote(name)} = %s "  # noqa: S608
                f"WHERE {quote(pk_field.column)} = %s"
            )
            last = None
            while True:
                batch = rows if last is None else rows.filter(pk__gt=last)
                batch = list(batch.values_list("pk", name)[:BATCH])
                if not batch:
                    break
                changed = []
                for pk, token in batch:
                    if token is None:
                        continue
                    token = bytes(token)
                    try:
                        # An empty column (added with the schema's empty default) holds
                        # no ciphertext: it stands for the empty text.
                        plain = decrypt(token, old + row_part(pk, token[0])) if token else b""
                    except DecryptionError as error:
                        raise RuntimeError(
                            f"{table}.{name} of row {pk} cannot be decrypted: {error}"
                        ) from None
                    key_id = token[2 : 2 + token[1]].decode("ascii") if token else None
                    sealed = encrypt(plain, new + pk.bytes, key_id=key_id)
                    changed.append((sealed, pk_field.get_db_prep_value(pk, connection)))
                with connection.cursor() as cursor:
                    cursor.executemany(update, changed)
                last = batch[-1][0]

    return run


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("policy", "0008_data_requests_to_their_app"),
        ("customers", "0013_encryption_format_2"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='DataRequest',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('reference', models.CharField(editable=False, max_length=20, unique=True, verbose_name='受付番号')),
                        ('kind', models.CharField(choices=[('purposes', '利用目的の通知'), ('disclose', '開示（内容を知りたい）'), ('correct', '訂正'), ('stop_use', '利用停止'), ('delete', '削除'), ('stop_provision', '第三者提供の停止')], max_length=20, verbose_name='ご請求の種類')),
                        ('name', vault.encryption.EncryptedTextField(max_length=100, verbose_name='お名前')),
                        ('email', vault.encryption.EncryptedTextField(max_length=254, verbose_name='メールアドレス')),
                        ('phone', vault.encryption.EncryptedTextField(blank=True, max_length=30, verbose_name='電話番号')),
                        ('details', vault.encryption.EncryptedTextField(blank=True, max_length=2000, verbose_name='ご請求の内容')),
                        ('note', vault.encryption.EncryptedTextField(blank=True, max_length=2000, validators=[customers.validators.refuse_card_numbers], verbose_name='対応メモ')),
                        ('refusal_reason', vault.encryption.EncryptedTextField(blank=True, max_length=2000, validators=[customers.validators.refuse_card_numbers], verbose_name='お断りの理由')),
                        ('step', models.CharField(choices=[('received', '受付済み（本人確認待ち）'), ('identity_confirmed', '本人確認済み'), ('in_progress', '対応中'), ('done', '対応完了'), ('refused', 'お断り'), ('closed', '本人確認できず終了')], db_index=True, default='received', max_length=20, verbose_name='進捗')),
                        ('received_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='受付日時')),
                        ('identity_confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='本人確認日時')),
                        ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='完了日時')),
                        ('email_digest', models.CharField(blank=True, db_index=True, editable=False, max_length=64)),
                        ('code_hash', models.CharField(blank=True, editable=False, max_length=64)),
                        ('code_expires_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('code_attempts', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='data_requests', to='customers.customer', verbose_name='該当する顧客')),
                        ('done_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('identity_confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': '個人情報に関するご請求',
                        'verbose_name_plural': '個人情報に関するご請求',
                        'ordering': ['-received_at'],
                        'db_table': 'policy_datarequest',
                    },
                ),
                migrations.CreateModel(
                    name='DisclosureLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token_digest', models.CharField(editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('expires_at', models.DateTimeField()),
                        ('used_at', models.DateTimeField(blank=True, null=True)),
                        ('data_request', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='disclosure_link', to='datarequests.datarequest')),
                    ],
                    options={
                        'verbose_name': '開示のダウンロードリンク',
                        'verbose_name_plural': '開示のダウンロードリンク',
                        'db_table': 'policy_disclosurelink',
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="datarequest", table=None),
        migrations.AlterModelTable(name="disclosurelink", table=None),
        migrations.RunPython(
            rebind("policy.datarequest", "datarequests.datarequest"),
            rebind("datarequests.datarequest", "policy.datarequest"),
        ),
        migrations.RunPython(
            move_content_type("datarequest", "policy", "datarequests"),
            move_content_type("datarequest", "datarequests", "policy"),
        ),
        migrations.RunPython(
            move_content_type("disclosurelink", "policy", "datarequests"),
            move_content_type("disclosurelink", "datarequests", "policy"),
        ),
    ]
