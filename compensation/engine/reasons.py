"""Plain-language reasons for every rule, in the claimant's language.

Kept as data next to the engine (not in .po files) so a stored decision can be explained in
any of the three languages later, from its rule codes and parameters alone."""

from __future__ import annotations

REASONS: dict[str, dict[str, str]] = {
    "on_affected_list": {
        "en": "Your account is on the list of accounts affected by the incident.",
        "ko": "귀하의 계정은 사고 피해 계정 명단에 있습니다.",
        "zh-hans": "您的账户在受事件影响的账户名单中。",
    },
    "on_affected_list.failed": {
        "en": "We could not find your account on the list of affected accounts, and this "
        "kind of claim is only open to affected accounts.",
        "ko": "피해 계정 명단에서 귀하의 계정을 찾지 못했으며, 이 유형의 청구는 피해 계정만 "
        "할 수 있습니다.",
        "zh-hans": "我们未在受影响账户名单中找到您的账户，而此类申请仅限受影响账户。",
    },
    "account_status": {
        "en": "Your account status ({status}) is covered.",
        "ko": "귀하의 계정 상태({status})는 보상 대상입니다.",
        "zh-hans": "您的账户状态（{status}）在补偿范围内。",
    },
    "account_status.failed": {
        "en": "Accounts with the status '{status}' are not covered by this program.",
        "ko": "'{status}' 상태의 계정은 이 보상 프로그램의 대상이 아닙니다.",
        "zh-hans": "状态为“{status}”的账户不在本计划范围内。",
    },
    "region": {
        "en": "Your region is covered.",
        "ko": "귀하의 지역은 보상 대상입니다.",
        "zh-hans": "您所在地区在补偿范围内。",
    },
    "region.failed": {
        "en": "Your region ({region}) is not covered by this program.",
        "ko": "귀하의 지역({region})은 이 프로그램의 대상이 아닙니다.",
        "zh-hans": "您所在地区（{region}）不在本计划范围内。",
    },
    "segment": {
        "en": "Your customer group is covered.",
        "ko": "귀하의 고객 유형은 보상 대상입니다.",
        "zh-hans": "您的客户类别在补偿范围内。",
    },
    "segment.failed": {
        "en": "Your customer group ({segment}) is not covered by this program.",
        "ko": "귀하의 고객 유형({segment})은 이 프로그램의 대상이 아닙니다.",
        "zh-hans": "您的客户类别（{segment}）不在本计划范围内。",
    },
    "data_categories": {
        "en": "Data of a covered kind about you was exposed.",
        "ko": "보상 대상 유형의 귀하 정보가 노출되었습니다.",
        "zh-hans": "您的受保护类别数据遭到泄露。",
    },
    "data_categories.failed": {
        "en": "None of the kinds of data this program covers was exposed for your account.",
        "ko": "귀하의 계정에서는 이 프로그램이 보상하는 유형의 정보가 노출되지 않았습니다.",
        "zh-hans": "您的账户没有泄露本计划所涵盖类别的数据。",
    },
    "claim_window": {
        "en": "Your claim arrived while claims were open.",
        "ko": "청구 기간 안에 접수되었습니다.",
        "zh-hans": "您的申请在受理期内提交。",
    },
    "claim_window.failed": {
        "en": "Your claim arrived outside the claim period ({opens} to {closes}).",
        "ko": "청구가 청구 기간({opens}~{closes}) 밖에 접수되었습니다.",
        "zh-hans": "您的申请不在受理期内（{opens} 至 {closes}）。",
    },
    "documents": {
        "en": "All the documents this claim needs were provided.",
        "ko": "이 청구에 필요한 서류가 모두 제출되었습니다.",
        "zh-hans": "已提供此申请所需的全部材料。",
    },
    "documents.failed": {
        "en": "Documents missing: {missing}. A reviewer will look at your claim and may ask "
        "you for them.",
        "ko": "누락된 서류: {missing}. 담당자가 검토 후 제출을 요청할 수 있습니다.",
        "zh-hans": "缺少材料：{missing}。审核人员会审查您的申请，并可能请您补交。",
    },
    "claims_per_person": {
        "en": "This is within the number of claims of this kind one person may file.",
        "ko": "1인당 청구 가능 건수 안에 있습니다.",
        "zh-hans": "在每人可提交的此类申请数量之内。",
    },
    "claims_per_person.failed": {
        "en": "You have already filed {limit} claim(s) of this kind, the most one person may.",
        "ko": "이 유형의 청구를 이미 {limit}건 하셨으며, 이는 1인당 최대 건수입니다.",
        "zh-hans": "您已提交 {limit} 份此类申请，已达每人上限。",
    },
    "amount": {
        "en": "The amount for this claim is {amount}.",
        "ko": "이 청구의 인정 금액은 {amount}입니다.",
        "zh-hans": "此申请的核定金额为 {amount}。",
    },
    "cap_per_claim": {
        "en": "The amount was limited to {cap}, the most this kind of claim pays.",
        "ko": "이 유형의 청구 최대 금액인 {cap}로 제한되었습니다.",
        "zh-hans": "金额已限制为此类申请的上限 {cap}。",
    },
    "hours_cap": {
        "en": "Time was counted up to {hours} hours ({documented}).",
        "ko": "시간은 최대 {hours}시간까지 인정되었습니다({documented}).",
        "zh-hans": "时间最多按 {hours} 小时计算（{documented}）。",
    },
    "cap_per_person": {
        "en": "The amount was limited so that your total stays within {cap} per person.",
        "ko": "1인당 한도 {cap}를 넘지 않도록 금액이 조정되었습니다.",
        "zh-hans": "金额已调整，使您的总额不超过每人上限 {cap}。",
    },
    "offset_proactive": {
        "en": "The {offset} already given to you for the same harm was subtracted.",
        "ko": "같은 피해에 대해 이미 지급된 {offset}이 차감되었습니다.",
        "zh-hans": "已扣除针对同一损害已向您发放的 {offset}。",
    },
    "nothing_left": {
        "en": "You have already been compensated up to the limit for this harm.",
        "ko": "이 피해에 대해 이미 한도까지 보상을 받으셨습니다.",
        "zh-hans": "您已就此损害获得上限内的全部补偿。",
    },
    "budget": {
        "en": "The program's budget can pay this claim.",
        "ko": "프로그램 예산으로 이 청구를 지급할 수 있습니다.",
        "zh-hans": "本计划预算足以支付此申请。",
    },
    "budget.failed": {
        "en": "The program's remaining budget cannot pay this claim in full; a reviewer will "
        "decide.",
        "ko": "프로그램 잔여 예산으로 전액 지급이 어려워 담당자가 결정합니다.",
        "zh-hans": "本计划剩余预算不足以全额支付此申请，将由审核人员决定。",
    },
    "fraud_signals": {
        "en": "No warning signs were found.",
        "ko": "이상 징후가 발견되지 않았습니다.",
        "zh-hans": "未发现异常迹象。",
    },
    "fraud_signals.failed": {
        "en": "Some details need a closer look by a person ({count} check(s)).",
        "ko": "일부 내용은 담당자의 추가 확인이 필요합니다({count}건).",
        "zh-hans": "部分信息需要人工进一步核实（{count} 项）。",
    },
    "score.approve": {
        "en": "Your claim met every condition and was approved automatically.",
        "ko": "모든 조건을 충족하여 자동 승인되었습니다.",
        "zh-hans": "您的申请符合全部条件，已自动批准。",
    },
    "score.review": {
        "en": "A member of our team will review your claim.",
        "ko": "담당자가 청구를 검토합니다.",
        "zh-hans": "我们的工作人员将审核您的申请。",
    },
    "score.deny": {
        "en": "Your claim does not meet the program's conditions.",
        "ko": "청구가 프로그램 조건을 충족하지 않습니다.",
        "zh-hans": "您的申请不符合本计划的条件。",
    },
    "high_amount": {
        "en": "Claims above {cap} are always checked by a person.",
        "ko": "{cap}을 넘는 청구는 항상 담당자가 확인합니다.",
        "zh-hans": "超过 {cap} 的申请一律由人工核实。",
    },
    "proactive_award": {
        "en": "You receive: {lines}.",
        "ko": "지급 내역: {lines}.",
        "zh-hans": "您将获得：{lines}。",
    },
}

_FALLBACK = "en"


def reason_text(code: str, passed: bool, params: dict, language: str) -> str:
    """The plain-language reason for one rule result, in `language` (English fallback)."""
    key = code if passed or f"{code}.failed" not in REASONS else f"{code}.failed"
    texts = REASONS.get(key) or REASONS.get(code)
    if texts is None:
        return code
    template = texts.get(language) or texts[_FALLBACK]
    return template.format_map(_Blank(params))


class _Blank(dict):
    """A missing parameter renders as nothing rather than breaking the explanation."""

    def __missing__(self, key: str) -> str:
        return ""
