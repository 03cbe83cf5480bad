/**
 * The search engines' own safe endpoints, as each vendor documents them for networks that
 * enforce safe search by DNS: a CNAME from the search host to the endpoint.
 * - Google: www.google.<tld> and google.<tld>, for every domain of
 *   https://www.google.com/supported_domains, to forcesafesearch.google.com;
 * - YouTube (Restricted Mode, strict): www.youtube.com, m.youtube.com,
 *   youtubei.googleapis.com, youtube.googleapis.com and www.youtube-nocookie.com to
 *   restrict.youtube.com;
 * - Bing: www.bing.com and bing.com to strict.bing.com;
 * - DuckDuckGo: duckduckgo.com, www.duckduckgo.com and start.duckduckgo.com to
 *   safe.duckduckgo.com.
 * No endpoint is itself a rewritten name, so a rewrite never leads to another.
 */

const GOOGLE = "forcesafesearch.google.com";
const YOUTUBE = "restrict.youtube.com";
const BING = "strict.bing.com";
const DUCKDUCKGO = "safe.duckduckgo.com";

/** What follows "google." in Google's search domains (https://www.google.com/supported_domains). */
const GOOGLE_SUFFIXES = (
  "com ad ae com.af com.ag al am co.ao com.ar as at com.au az ba com.bd be bf bg com.bh bi " +
  "bj com.bn com.bo com.br bs bt co.bw by com.bz ca cd cf cg ch ci co.ck cl cm cn com.co " +
  "co.cr com.cu cv com.cy cz de dj dk dm com.do dz com.ec ee com.eg es com.et fi com.fj fm " +
  "fr ga ge gg com.gh com.gi gl gm gr com.gt gy com.hk hn hr ht hu co.id ie co.il im co.in " +
  "iq is it je com.jm jo co.jp co.ke com.kh ki kg co.kr com.kw kz la com.lb li lk co.ls lt " +
  "lu lv com.ly co.ma md me mg mk ml com.mm mn com.mt mu mv mw com.mx com.my co.mz com.na " +
  "com.ng com.ni ne nl no com.np nr nu co.nz com.om com.pa com.pe com.pg com.ph com.pk pl " +
  "pn com.pr ps pt com.py com.qa ro ru rw com.sa com.sb sc se com.sg sh si sk com.sl sn so " +
  "sm sr st com.sv td tg co.th com.tj tl tm tn to com.tr tt com.tw co.tz com.ua co.ug co.uk " +
  "com.uy co.uz com.vc co.ve co.vi com.vn vu ws rs co.za co.zm co.zw cat"
).split(" ");

/** Search host (canonical, lowercase) -> its vendor's safe endpoint. */
const ENDPOINTS: ReadonlyMap<string, string> = new Map([
  ...GOOGLE_SUFFIXES.flatMap((suffix) =>
    [
      [`www.google.${suffix}`, GOOGLE],
      [`google.${suffix}`, GOOGLE],
    ] as [string, string][]
  ),
  ...[
    "www.youtube.com",
    "m.youtube.com",
    "youtubei.googleapis.com",
    "youtube.googleapis.com",
    "www.youtube-nocookie.com",
  ].map((name): [string, string] => [name, YOUTUBE]),
  ...["www.bing.com", "bing.com"].map((name): [string, string] => [name, BING]),
  ...["duckduckgo.com", "www.duckduckgo.com", "start.duckduckgo.com"]
    .map((name): [string, string] => [name, DUCKDUCKGO]),
]);

/** The safe endpoint for a canonical name, or undefined when it is no search host. */
export function safeEndpoint(name: string): string | undefined {
  return ENDPOINTS.get(name);
}
