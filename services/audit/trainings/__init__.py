"""Fund supervision's trainings (基金监管 培训, Karamay tender 二(一)1(4) and 二(一)3(4)), recorded so the term report
can show them against the tender: the offline trainings 《医疗保障基金合规使用》 (线下培训4次, each covering some of
the four topics the tender names) and the trips that take two of the agency's staff (甲方人员, 每次2名) to flight
inspections elsewhere as training by doing (外出飞行检查以干代训: 疆内（地市级）4次, 疆外2次). The required counts
are the program's (programs/km-supervision/program.yaml `supervision.trainings`,
`supervision.flight_inspection_trips`).

Events in: none. Events out: none (the reports room reads them through service.py). Doors: /v1/supervision/trainings
(api.py). Only fund supervision's tenants (program km-supervision): any other is 404."""
