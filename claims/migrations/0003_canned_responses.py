from django.db import migrations

# A starting library of standardized replies; operators edit and extend it in the admin.
RESPONSES = {
    "missing-receipt": {
        "en": ("Missing receipt", "Please upload a receipt or bank statement that shows the cost you are claiming for, with the date and the amount."),
        "ko": ("영수증 누락", "청구하신 비용의 날짜와 금액이 보이는 영수증 또는 은행 거래내역을 올려 주세요."),
        "zh-hans": ("缺少收据", "请上传显示您所申请费用的日期和金额的收据或银行流水。"),
    },
    "unreadable-document": {
        "en": ("Unreadable document", "We could not read the document you sent. Please upload a clearer photo or a PDF of the whole page."),
        "ko": ("판독 불가 서류", "보내주신 서류를 읽을 수 없습니다. 더 선명한 사진이나 전체 페이지 PDF를 올려 주세요."),
        "zh-hans": ("材料无法辨认", "我们无法辨认您提交的材料。请上传更清晰的照片或整页 PDF。"),
    },
    "proof-of-purchase": {
        "en": ("Proof of purchase", "Please upload proof of purchase that shows the price you paid, the date and the seller."),
        "ko": ("구매 증빙", "지불 금액, 날짜, 판매자가 보이는 구매 증빙을 올려 주세요."),
        "zh-hans": ("购买凭证", "请上传显示您所付价格、日期和卖家的购买凭证。"),
    },
}


def seed(apps, schema_editor):
    CannedResponse = apps.get_model("claims", "CannedResponse")
    for code, by_language in RESPONSES.items():
        for language, (title, body) in by_language.items():
            CannedResponse.objects.get_or_create(
                code=code, language=language, defaults={"title": title, "body": body}
            )


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_review_queue_documents_signin")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
