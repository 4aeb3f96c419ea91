// libunbound (NLnet Labs): validating, recursive and forwarding DNS resolution with DNSSEC.
// Debian: libunbound-dev (headers) and libunbound8 (run time). Linked by name: Debian 12's libunbound.pc
// requires libevent.pc, which only libevent-dev ships, so pkg-config cannot be relied upon here.
#include <unbound.h>
