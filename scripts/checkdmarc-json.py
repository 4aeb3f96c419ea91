#!/usr/bin/env python3
"""SPF and DMARC verdicts of checkdmarc (the reference implementation, PyPI `checkdmarc`) for domains,
through one resolver given as IP@PORT, as one JSON object per domain on stdout:

  {"domain": …, "spf": {"valid": bool, "lookups": int|null, "error": str|null, "all": "-all"|…},
   "dmarc": {"valid": bool, "p": str|null, "error": str|null}, "ms": float}

Used by the cross-check test (DomainExposureTests) and scripts/bench-domains.sh.
Usage: checkdmarc-json.py IP@PORT DOMAIN…
"""
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import dns.resolver  # noqa: E402
from checkdmarc.dmarc import check_dmarc  # noqa: E402
from checkdmarc.spf import check_spf  # noqa: E402


def resolver_for(address):
    ip, _, port = address.partition("@")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [ip]
    resolver.port = int(port or 53)
    resolver.timeout = 5
    resolver.lifetime = 10
    return resolver


def main():
    resolver = resolver_for(sys.argv[1])
    for domain in sys.argv[2:]:
        started = time.monotonic()
        spf = check_spf(domain, resolver=resolver)
        dmarc = check_dmarc(domain, resolver=resolver)
        all_term = None
        parsed = spf.get("parsed") or {}
        if isinstance(parsed, dict) and parsed.get("all"):
            all_term = {"pass": "+all", "fail": "-all", "softfail": "~all", "neutral": "?all"}.get(parsed["all"], parsed["all"])
        record = dmarc.get("tags") or {}
        policy = record.get("p", {}).get("value") if isinstance(record, dict) else None
        print(json.dumps({
            "domain": domain,
            "spf": {"valid": bool(spf.get("valid")), "lookups": spf.get("dns_lookups"), "error": spf.get("error"), "all": all_term},
            "dmarc": {"valid": bool(dmarc.get("valid")), "p": policy, "error": dmarc.get("error")},
            "ms": round((time.monotonic() - started) * 1000, 1),
        }), flush=True)


if __name__ == "__main__":
    main()
