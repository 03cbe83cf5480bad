/**
 * google.com as a test upstream serves it: a plain www and the safe-search endpoint
 * (forcesafesearch.google.com, with a shorter TTL than the rest, so a rewrite's TTL can be told).
 */
export const GOOGLE_ZONE = `$ORIGIN google.com.
$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.66
forcesafesearch 120 A 216.239.38.120
forcesafesearch 120 AAAA 2001:4860:4802:32::78
`;
