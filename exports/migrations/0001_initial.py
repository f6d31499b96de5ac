# ExportRequest, written in this app but first kept under the customers app's label,
# table and migrations (customers 0003 to 0012), becomes this app's own: its state is
# taken over from customers 0014, its table renamed to exports_exportrequest with every
# row, and its content type (with the permissions and their groups) follows.

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

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


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("customers", "0014_exportrequest_to_exports"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ExportRequest',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('requested_at', models.DateTimeField(auto_now_add=True)),
                        ('purpose', models.CharField(max_length=300, verbose_name='利用目的')),
                        ('recipient', models.CharField(choices=[('internal', '社内利用'), ('contractor', '委託先（配送・決済など）'), ('third_party', '第三者提供')], max_length=20, verbose_name='提供先の区分')),
                        ('recipient_name', models.CharField(blank=True, max_length=200, verbose_name='提供先の名称')),
                        ('recipient_address', models.CharField(blank=True, max_length=300, verbose_name='提供先の住所')),
                        ('recipient_representative', models.CharField(blank=True, max_length=200, verbose_name='提供先の代表者')),
                        ('provision_basis', models.CharField(blank=True, choices=[('consent', '第4条(1) ご本人の同意'), ('law', '第4条(3) 法令に基づく場合'), ('vital', '第4条(4) 生命・身体・財産の保護（同意取得が困難）'), ('opt_out', '第4条(5) 事前の公表（オプトアウト）')], max_length=10, verbose_name='根拠（第4条の該当号）')),
                        ('consent_evidence', models.CharField(blank=True, max_length=300, verbose_name='同意等の証跡')),
                        ('fields', models.JSONField(default=list, verbose_name='項目')),
                        ('scope', models.CharField(choices=[('all', 'すべての顧客'), ('selected', '顧客一覧で選んだ顧客'), ('search', '完全一致検索の結果'), ('purchases', '期間・カテゴリで購入のある顧客')], default='all', max_length=20, verbose_name='対象の顧客')),
                        ('customer_ids', models.JSONField(blank=True, null=True)),
                        ('customer_count', models.PositiveIntegerField(default=0, verbose_name='顧客数')),
                        ('purchases_from', models.DateField(blank=True, null=True, verbose_name='購入日（から）')),
                        ('purchases_to', models.DateField(blank=True, null=True, verbose_name='購入日（まで）')),
                        ('categories', models.JSONField(blank=True, default=list, verbose_name='カテゴリ')),
                        ('include_purchases', models.BooleanField(default=False, verbose_name='購入履歴を含める')),
                        ('include_sensitive', models.BooleanField(default=False, verbose_name='要配慮カテゴリの購入を含める')),
                        ('encoding', models.CharField(choices=[('utf-8-sig', 'UTF-8（BOM付き）'), ('cp932', 'CP932（古いExcel向け）')], default='utf-8-sig', max_length=12, verbose_name='文字コード')),
                        ('status', models.CharField(choices=[('pending', '承認待ち'), ('approved', '承認済み'), ('rejected', '却下'), ('downloaded', 'ダウンロード済み'), ('expired', '期限切れ')], default='pending', max_length=20)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('self_approved', models.BooleanField(default=False, verbose_name='自己承認')),
                        ('expired_at', models.DateTimeField(blank=True, null=True)),
                        ('downloaded_at', models.DateTimeField(blank=True, null=True)),
                        ('row_count', models.PositiveIntegerField(blank=True, null=True)),
                        ('archive_sha256', models.CharField(blank=True, max_length=64)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='export_requests', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'エクスポート申請',
                        'verbose_name_plural': 'エクスポート申請',
                        'ordering': ['-requested_at'],
                        'permissions': [('approve_exportrequest', '他の人のエクスポート申請を承認する')],
                        'db_table': 'customers_exportrequest',
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="exportrequest", table=None),
        migrations.RunPython(
            move_content_type("exportrequest", "customers", "exports"),
            move_content_type("exportrequest", "exports", "customers"),
        ),
    ]
