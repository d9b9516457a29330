"""Pure complaint rules (咨询与投诉): answer deadlines in working days from the caller's program, overdue flags."""
