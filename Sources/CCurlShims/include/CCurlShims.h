// Prefixed wrappers for the libcurl functions cyberctl calls. libcurl is not linked: it is opened
// with dlopen("libcurl.so.4") on first use, so the commands that never speak HTTP (a scan of
// certificate files, `cyberctl cert` …) do not load libcurl and the ~25 libraries it pulls in
// (GnuTLS, Kerberos, LDAP, libssh2, nghttp2 …: about 4 MB of resident pages per process).
// When libcurl cannot be opened, cyberctl_curl_easy_init returns NULL and
// cyberctl_curl_unavailable() says why; the other wrappers then fail as libcurl would on a bad handle.
// The variadic curl_easy_setopt/getinfo, which Swift cannot call, get one typed wrapper per argument type.
#ifndef CYBERCTL_CCURL_SHIMS_H
#define CYBERCTL_CCURL_SHIMS_H

#include <curl/curl.h>

/// NULL once libcurl is loaded; otherwise the dlopen/dlsym error (static storage).
const char *cyberctl_curl_unavailable(void);

CURLcode cyberctl_curl_global_init(long flags);
CURL *cyberctl_curl_easy_init(void);
void cyberctl_curl_easy_cleanup(CURL *handle);
CURLcode cyberctl_curl_easy_perform(CURL *handle);
const char *cyberctl_curl_easy_strerror(CURLcode code);
CURLHcode cyberctl_curl_easy_header(CURL *handle, const char *name, size_t index, unsigned int origin, int request, struct curl_header **header);
struct curl_slist *cyberctl_curl_slist_append(struct curl_slist *list, const char *string);
void cyberctl_curl_slist_free_all(struct curl_slist *list);
curl_mime *cyberctl_curl_mime_init(CURL *handle);
void cyberctl_curl_mime_free(curl_mime *mime);
curl_mimepart *cyberctl_curl_mime_addpart(curl_mime *mime);
CURLcode cyberctl_curl_mime_name(curl_mimepart *part, const char *name);
CURLcode cyberctl_curl_mime_filename(curl_mimepart *part, const char *filename);
CURLcode cyberctl_curl_mime_type(curl_mimepart *part, const char *mimetype);
CURLcode cyberctl_curl_mime_data(curl_mimepart *part, const char *data, size_t datasize);

CURLcode cyberctl_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode cyberctl_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode cyberctl_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
/// CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION callbacks.
typedef size_t (*cyberctl_curl_write_callback)(char *data, size_t size, size_t count, void *user);
CURLcode cyberctl_curl_easy_setopt_write_function(CURL *handle, CURLoption option, cyberctl_curl_write_callback callback);
CURLcode cyberctl_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode cyberctl_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value);

#endif
