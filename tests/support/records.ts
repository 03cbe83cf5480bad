/** Records tests keep building: the test zone's SOA with a chosen TTL and MINIMUM. */
import { RClass, type ResourceRecord, RType } from "../../dns/mod.ts";

export function soaRecord(ttl: number, minimum: number, zone = "test.example"): ResourceRecord {
  return {
    name: zone,
    type: RType.SOA,
    class: RClass.IN,
    ttl,
    data: {
      mname: `ns1.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum,
    },
  };
}
