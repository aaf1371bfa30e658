import { describe, expect, it } from 'vitest';
import { geoStatusPrometheus, type ReplicationLink } from '../../tenants/plan/index.ts';

const up: ReplicationLink = {
  topic: 'persistent://r/edge-nyc/events',
  from: 'edge-nyc',
  to: 'central',
  state: 'up',
  backlog: 3,
  rateOut: 512.5,
  lagMs: 1500,
  connectedPartitions: 2,
  loadedPartitions: 2,
  partitions: 2,
};
const down: ReplicationLink = {
  ...up,
  topic: 'persistent://r/edge-nyc/predictions',
  state: 'down',
  connectedPartitions: 0,
  backlog: 900,
  lagMs: 61_000,
};

describe('geo status in Prometheus text format', () => {
  it('writes one gauge family per figure with topic/from/to labels, lag in seconds and the link state', () => {
    const text = geoStatusPrometheus([up, down]);
    expect(text).toContain('# TYPE beamline_geo_replication_backlog_messages gauge');
    expect(text).toContain(
      'beamline_geo_replication_backlog_messages{topic="persistent://r/edge-nyc/events",from="edge-nyc",to="central"} 3',
    );
    expect(text).toContain(
      'beamline_geo_replication_lag_seconds{topic="persistent://r/edge-nyc/predictions",from="edge-nyc",to="central"} 61',
    );
    expect(text).toContain(
      'beamline_geo_replication_connected_ratio{topic="persistent://r/edge-nyc/events",from="edge-nyc",to="central"} 1',
    );
    expect(text).toContain(
      'beamline_geo_replication_down_ratio{topic="persistent://r/edge-nyc/predictions",from="edge-nyc",to="central"} 1',
    );
    expect(text).toContain('beamline_geo_replication_down_ratio{topic="persistent://r/edge-nyc/events",from="edge-nyc",to="central"} 0');
    expect(text.endsWith('\n')).toBe(true);
  });
});
