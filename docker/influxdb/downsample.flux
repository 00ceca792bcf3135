// Every hour, sum the last three hours of 1-s epochs into hourly points per wearer,
// device and posture, stamped at the start of each hour. Writing the same hour again
// overwrites its point, so the overlap picks up epochs that arrived late (a collector
// catching up from its outbox) without ever counting anything twice.
option task = {name: "sitless hourly sums", every: 1h, offset: 5m}

from(bucket: "sitless")
    |> range(start: -3h)
    |> filter(fn: (r) => r._measurement == "posture" and r._field == "duration_s")
    |> aggregateWindow(every: 1h, fn: sum, createEmpty: false, timeSrc: "_start")
    |> set(key: "_measurement", value: "posture_hourly")
    |> to(bucket: "sitless_hourly", org: "sitless")
