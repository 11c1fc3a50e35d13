"""Choices shared by the models, with Chinese labels. Their values are the values of the enums in
``riskcomp.policy.types``; a test keeps the two in step."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scheme(models.TextChoices):
    MICRO = "MICRO", _("小微企业贷款风险补偿")
    TECH = "TECH", _("科技创新类中小企业贷款风险补偿")


class LoanType(models.TextChoices):
    CREDIT = "credit", _("信用贷款")
    IP_PLEDGE = "ip_pledge", _("知识产权质押贷款")
    RECEIVABLES_PLEDGE = "receivables_pledge", _("应收账款质押贷款")
    RISK_SHARING = "risk_sharing", _("银担分险贷款")


class EnterpriseKind(models.TextChoices):
    COMPANY = "company", _("企业法人")
    INDIVIDUAL = "individual", _("个体工商户")


class EnterpriseSize(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


class QualificationType(models.TextChoices):
    SINGLE_CHAMPION = "single_champion", _("制造业单项冠军企业")
    HIGH_TECH = "high_tech", _("国家高新技术企业")
    BEIJING_SRDI = "beijing_srdi", _("北京市专精特新中小企业")
    NATIONAL_LITTLE_GIANT = "national_little_giant", _("国家级专精特新“小巨人”企业")
    BEIJING_LITTLE_GIANT = "beijing_little_giant", _("北京市专精特新“小巨人”企业")


class Classification(models.TextChoices):
    NORMAL = "normal", _("正常")
    SPECIAL_MENTION = "special_mention", _("关注")
    SUBSTANDARD = "substandard", _("次级")
    DOUBTFUL = "doubtful", _("可疑")
    LOSS = "loss", _("损失")


NON_PERFORMING = (Classification.SUBSTANDARD, Classification.DOUBTFUL, Classification.LOSS)


class ReasonCode(models.TextChoices):
    NO_AGREEMENT = "NO_AGREEMENT", _("无有效合作协议")
    OUTSIDE_VALIDITY = "OUTSIDE_VALIDITY", _("发放日不在政策有效期内")
    NOT_IN_BDA = "NOT_IN_BDA", _("不在经开区内经营")
    BORROWER_KIND = "BORROWER_KIND", _("借款人类型不符")
    BORROWER_SIZE = "BORROWER_SIZE", _("企业规模不符")
    CONDUCT = "CONDUCT", _("信用或合规条件不符")
    TECH_SCOPE = "TECH_SCOPE", _("不在科技创新支持范围内")
    LOAN_TYPE = "LOAN_TYPE", _("贷款品种不符")
    OTHER_COVER = "OTHER_COVER", _("已有其他保险、担保或补偿")
    RISK_SHARE = "RISK_SHARE", _("银行分险比例不足20%")
    AMOUNT_CAP = "AMOUNT_CAP", _("单户贷款金额超限")
    OUTSTANDING_CAP = "OUTSTANDING_CAP", _("征信未结清贷款余额超限")
    CREDIT_REPORT_DATE = "CREDIT_REPORT_DATE", _("征信报告日期不符")
    RATE_CAP = "RATE_CAP", _("利率超过LPR加150个基点")
    FILING_LATE = "FILING_LATE", _("逾期备案")
    DRAWDOWN_FUTURE = "DRAWDOWN_FUTURE", _("放款日期晚于备案日")
    CALENDAR_UNKNOWN = "CALENDAR_UNKNOWN", _("该年度节假日安排未知")
    BAD_CREDIT_CODE = "BAD_CREDIT_CODE", _("统一社会信用代码错误")
    NPL_BEFORE_FILING = "NPL_BEFORE_FILING", _("备案前已形成不良")
    NOT_NPL = "NOT_NPL", _("贷款未被分类为不良")
    CLAIM_LATE = "CLAIM_LATE", _("超过申报期限")
    BANK_SUSPENDED = "BANK_SUSPENDED", _("银行已被暂停")
    DUPLICATE = "DUPLICATE", _("重复")
