#!/bin/bash
# Runs once, after InfluxDB's first setup (the influx CLI is already signed in as the
# admin): a long-lived bucket for hourly sums and the task that fills it every hour.
set -euo pipefail
influx bucket create --org "$DOCKER_INFLUXDB_INIT_ORG" --name sitless_hourly \
  --retention "${SITLESS_HOURLY_RETENTION:-1825d}"
influx task create --org "$DOCKER_INFLUXDB_INIT_ORG" --file /docker-entrypoint-initdb.d/downsample.flux
