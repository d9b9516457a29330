"""The messages an applicant gets (结果告知), one template each; `{…}` are filled from the notification's
parameters."""

from __future__ import annotations

TEMPLATES = {
    "documents_missing": "您的门诊慢特病申请需补充材料：{missing}。{note}",
    "complete": "您的门诊慢特病申请已受理，正在组织专家鉴定。",
    "rejected": "您的门诊慢特病申请未予受理：{reason}",
    "approved": "您的门诊慢特病鉴定已通过（{disease}），待遇自{benefit_start}起享受。",
    "not_approved": "您的门诊慢特病鉴定未通过：{reason}",
    "filed": "您的门诊慢特病资格（{disease}）已完成备案。",
    "revoked": "您的门诊慢特病资格（{disease}）已撤销：{reason}",
    "review_due": "您的门诊慢特病资格（{disease}）将于{due_on}到期复审，请及时申请。",
    "renewed": "您的门诊慢特病资格（{disease}）复审通过，待遇继续享受，下次复审日期：{review_due}。",
    "complaint_resolved": "您的{kind}已办结：{resolution}",
    # 长期护理保险 (long-term care): the screening of an application for a disability assessment (初步筛查)
    "care_documents_missing": "您的长期护理保险失能等级评定申请需补充材料：{missing}。{note}",
    "care_accepted": "您的长期护理保险失能等级评定申请已通过初步筛查，评定人员将与您联系上门评定。",
    "care_rejected": "您的长期护理保险失能等级评定申请未予受理：{reason}",
    "survey_invitation": "您的门诊慢特病申请已有结果，诚邀您参加满意度测评（共{questions}题，1–5分），"
                         "请在申报小程序中对本次申请（{application_id}）作出评价。",
}
SURVEY_INVITATION = "survey_invitation"
