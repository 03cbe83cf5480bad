/**
 * The decoded shape of a DNS message. Names are text without the trailing dot, the root is "",
 * in the case they were written in on the wire (so a re-encoded message keeps it; compare them
 * with isSameName). Label bytes are in RFC 1035 presentation form (`\.`, `\;`, `\032`: see
 * name.ts), so every name round-trips and prints as a zone file would read it back.
 */

export interface Header {
  /** Transaction ID. */
  id: number;
  /** QR: true in responses. */
  response: boolean;
  opcode: number;
  /** AA */
  authoritative: boolean;
  /** TC */
  truncated: boolean;
  /** RD */
  recursionDesired: boolean;
  /** RA */
  recursionAvailable: boolean;
  /** Z: the reserved bit, carried as read. */
  zero: boolean;
  /** AD */
  authenticData: boolean;
  /** CD */
  checkingDisabled: boolean;
  /** Full response code: the header's 4 bits plus, with EDNS, the extended bits. */
  rcode: number;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

/** A: dotted quad. AAAA: RFC 5952 text. */
export interface AddressData {
  address: string;
}
/** A in the Chaos class: the host's domain and its 16-bit Chaosnet address. */
export interface ChaosAddressData {
  domain: string;
  address: number;
}
/** CNAME, NS, PTR, DNAME. */
export interface TargetData {
  target: string;
}
export interface MxData {
  preference: number;
  exchange: string;
}
/** TXT: each character-string as raw bytes (they need not be text). */
export interface TxtData {
  strings: Uint8Array[];
}
export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}
export interface CaaData {
  flags: number;
  tag: string;
  value: Uint8Array;
}
/** SvcParams kept as key + opaque value, in wire order, so every parameter round-trips. */
export interface SvcParam {
  key: number;
  value: Uint8Array;
}
/** SVCB and HTTPS (RFC 9460). */
export interface SvcbData {
  priority: number;
  target: string;
  params: SvcParam[];
}
export interface DsData {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Uint8Array;
}
export interface DnskeyData {
  flags: number;
  protocol: number;
  algorithm: number;
  publicKey: Uint8Array;
}
export interface RrsigData {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signerName: string;
  signature: Uint8Array;
}
export interface NsecData {
  nextName: string;
  /** Types present, ascending. */
  types: number[];
}
/**
 * Any type we do not model, RFC 3597 unknown types, and types whose rdata differs by class in
 * a class we do not model: the rdata bytes as they were.
 */
export interface OpaqueData {
  bytes: Uint8Array;
}

export type RData =
  | AddressData
  | ChaosAddressData
  | TargetData
  | MxData
  | TxtData
  | SoaData
  | SrvData
  | CaaData
  | SvcbData
  | DsData
  | DnskeyData
  | RrsigData
  | NsecData
  | OpaqueData;

/** A resource record other than OPT (which lives in `Message.edns`). */
export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

/** The EDNS(0) OPT pseudo-record (RFC 6891), lifted out of the additional section. */
export interface Edns {
  /** Requestor's UDP payload size (the OPT CLASS field). */
  udpSize: number;
  version: number;
  /** DO bit. */
  dnssecOk: boolean;
  /** The other 15 flag bits, carried as read. */
  flags: number;
  options: EdnsOption[];
}

export interface Message {
  header: Header;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  /** Additional records without the OPT record. */
  additionals: ResourceRecord[];
  /** Present when the message carried an OPT record. */
  edns?: Edns;
}
