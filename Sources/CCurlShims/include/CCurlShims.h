// Prefixed, typed wrappers for libcurl's variadic curl_easy_setopt and curl_easy_getinfo, which the
// Swift Clang importer cannot call. One wrapper per argument type; keep them mechanical.
#ifndef CYBERCTL_CCURL_SHIMS_H
#define CYBERCTL_CCURL_SHIMS_H

#include <curl/curl.h>

CURLcode cyberctl_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode cyberctl_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode cyberctl_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
/// CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION callbacks.
typedef size_t (*cyberctl_curl_write_callback)(char *data, size_t size, size_t count, void *user);
CURLcode cyberctl_curl_easy_setopt_write_function(CURL *handle, CURLoption option, cyberctl_curl_write_callback callback);
CURLcode cyberctl_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode cyberctl_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value);

#endif
