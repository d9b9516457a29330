"""intake (受理): applications, their documents, consultations and complaints, applicant notifications.

Rooms: applications/ (申请受理: filing, preliminary review, missing documents, the applicant's timeline),
complaints/ (咨询投诉), surveys/ (满意度测评), notifications/ (结果告知: port + outbox adapter),
eligibility/ (参保与资格核验: 1101 and appraisal's qualifications, looked up)."""
