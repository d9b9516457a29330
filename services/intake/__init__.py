"""intake (受理): applications, their documents, consultations and complaints, applicant notifications."""
