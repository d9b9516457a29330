"""The appraisal case (鉴定案件): a complete application opens a case per disease with its appraisal clock (鉴定时限);
experts are drawn at random (随机抽取专家, never chosen by a clerk); their opinions (专家意见) make the majority the
reviewer's conclusion (鉴定结论) follows, with its reasons as codes; an approval grants the qualification (资格)
with its benefit start and re-review date. A re-review case (复审) concludes through the re-review room.

Doors: HTTP /v1/cases…, /v1/alerts/overdue; gRPC AppraisalService.GetQualifications; event application.completed.
Events out: experts.assigned, appraisal.concluded, qualification.granted."""
