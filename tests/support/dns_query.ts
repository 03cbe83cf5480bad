/** Builds wire-format queries for tests, through the project's own encoder. */
import {
  type EdnsOption,
  encodeMessage,
  encodeReply,
  type Message,
  RClass,
  RType,
} from "../../dns/mod.ts";

export interface QueryOptions {
  id?: number;
  recursionDesired?: boolean;
  /** Add an OPT record (with these options); no OPT when undefined. */
  edns?: { options?: EdnsOption[]; dnssecOk?: boolean; udpSize?: number; version?: number };
  opcode?: number;
  /** Questions to send instead of the one (name, type). */
  questions?: Message["questions"];
}

export function queryMessage(name: string, type: number, options: QueryOptions = {}): Message {
  return {
    header: {
      id: options.id ?? 0,
      response: false,
      opcode: options.opcode ?? 0,
      authoritative: false,
      truncated: false,
      recursionDesired: options.recursionDesired ?? true,
      recursionAvailable: false,
      zero: false,
      authenticData: false,
      checkingDisabled: false,
      rcode: 0,
    },
    questions: options.questions ?? [{ name, type, class: RClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    edns: options.edns && {
      udpSize: options.edns.udpSize ?? 1232,
      version: options.edns.version ?? 0,
      dnssecOk: options.edns.dnssecOk ?? false,
      flags: 0,
      options: options.edns.options ?? [],
    },
  };
}

export function makeQuery(
  name: string,
  type: number,
  options: QueryOptions = {},
): Uint8Array<ArrayBuffer> {
  return encodeMessage(queryMessage(name, type, options));
}

/**
 * A reply to `name` carrying `addresses` (A, or AAAA when they are IPv6; none: an empty
 * answer), as an upstream sends it; `id` is the query's ID.
 */
export function addressAnswer(
  name: string,
  addresses: string[],
  options: { rcode?: number; id?: number } = {},
): Uint8Array<ArrayBuffer> {
  const type = addresses[0]?.includes(":") ? RType.AAAA : RType.A;
  return encodeReply(queryMessage(name, type, { id: options.id }), {
    rcode: options.rcode,
    answers: addresses.map((address) => ({
      name,
      type,
      class: RClass.IN,
      ttl: 300,
      data: { address },
    })),
  });
}
