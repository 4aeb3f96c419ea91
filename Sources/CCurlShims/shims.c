#include "CCurlShims.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

// libcurl's entry points, resolved once by load().
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int, int, struct curl_header **);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    curl_mime *(*mime_init)(CURL *);
    void (*mime_free)(curl_mime *);
    curl_mimepart *(*mime_addpart)(curl_mime *);
    CURLcode (*mime_name)(curl_mimepart *, const char *);
    CURLcode (*mime_filename)(curl_mimepart *, const char *);
    CURLcode (*mime_type)(curl_mimepart *, const char *);
    CURLcode (*mime_data)(curl_mimepart *, const char *, size_t);
} api;
static const char *load_error = "libcurl not loaded yet";
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

#define RESOLVE(field, symbol)                                   \
    do {                                                         \
        *(void **)(&api.field) = dlsym(library, symbol);         \
        if (api.field == NULL) { failed = symbol; goto fail; }   \
    } while (0)

static void load_library(void) {
    const char *failed = NULL;
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        load_error = reason != NULL ? reason : "libcurl.so.4 cannot be opened";
        return;
    }
    RESOLVE(global_init, "curl_global_init");
    RESOLVE(easy_init, "curl_easy_init");
    RESOLVE(easy_cleanup, "curl_easy_cleanup");
    RESOLVE(easy_perform, "curl_easy_perform");
    RESOLVE(easy_strerror, "curl_easy_strerror");
    RESOLVE(easy_header, "curl_easy_header");
    RESOLVE(easy_setopt, "curl_easy_setopt");
    RESOLVE(easy_getinfo, "curl_easy_getinfo");
    RESOLVE(slist_append, "curl_slist_append");
    RESOLVE(slist_free_all, "curl_slist_free_all");
    RESOLVE(mime_init, "curl_mime_init");
    RESOLVE(mime_free, "curl_mime_free");
    RESOLVE(mime_addpart, "curl_mime_addpart");
    RESOLVE(mime_name, "curl_mime_name");
    RESOLVE(mime_filename, "curl_mime_filename");
    RESOLVE(mime_type, "curl_mime_type");
    RESOLVE(mime_data, "curl_mime_data");
    load_error = NULL;
    return;
fail:
    // A libcurl older than 7.83 has no curl_easy_header: say which symbol is missing.
    load_error = failed;
    dlclose(library);
}

/// True once every entry point is resolved.
static int loaded(void) {
    pthread_once(&load_once, load_library);
    return load_error == NULL;
}

const char *cyberctl_curl_unavailable(void) {
    return loaded() ? NULL : load_error;
}

CURLcode cyberctl_curl_global_init(long flags) {
    return loaded() ? api.global_init(flags) : CURLE_FAILED_INIT;
}
CURL *cyberctl_curl_easy_init(void) {
    return loaded() ? api.easy_init() : NULL;
}
void cyberctl_curl_easy_cleanup(CURL *handle) {
    if (loaded()) api.easy_cleanup(handle);
}
CURLcode cyberctl_curl_easy_perform(CURL *handle) {
    return loaded() ? api.easy_perform(handle) : CURLE_FAILED_INIT;
}
const char *cyberctl_curl_easy_strerror(CURLcode code) {
    return loaded() ? api.easy_strerror(code) : "libcurl unavailable";
}
CURLHcode cyberctl_curl_easy_header(CURL *handle, const char *name, size_t index, unsigned int origin, int request, struct curl_header **header) {
    return loaded() ? api.easy_header(handle, name, index, origin, request, header) : CURLHE_NOT_BUILT_IN;
}
struct curl_slist *cyberctl_curl_slist_append(struct curl_slist *list, const char *string) {
    return loaded() ? api.slist_append(list, string) : NULL;
}
void cyberctl_curl_slist_free_all(struct curl_slist *list) {
    if (loaded()) api.slist_free_all(list);
}
curl_mime *cyberctl_curl_mime_init(CURL *handle) {
    return loaded() ? api.mime_init(handle) : NULL;
}
void cyberctl_curl_mime_free(curl_mime *mime) {
    if (loaded()) api.mime_free(mime);
}
curl_mimepart *cyberctl_curl_mime_addpart(curl_mime *mime) {
    return loaded() ? api.mime_addpart(mime) : NULL;
}
CURLcode cyberctl_curl_mime_name(curl_mimepart *part, const char *name) {
    return loaded() ? api.mime_name(part, name) : CURLE_FAILED_INIT;
}
CURLcode cyberctl_curl_mime_filename(curl_mimepart *part, const char *filename) {
    return loaded() ? api.mime_filename(part, filename) : CURLE_FAILED_INIT;
}
CURLcode cyberctl_curl_mime_type(curl_mimepart *part, const char *mimetype) {
    return loaded() ? api.mime_type(part, mimetype) : CURLE_FAILED_INIT;
}
CURLcode cyberctl_curl_mime_data(curl_mimepart *part, const char *data, size_t datasize) {
    return loaded() ? api.mime_data(part, data, datasize) : CURLE_FAILED_INIT;
}

CURLcode cyberctl_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return loaded() ? api.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}
CURLcode cyberctl_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return loaded() ? api.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}
CURLcode cyberctl_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return loaded() ? api.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}
CURLcode cyberctl_curl_easy_setopt_write_function(CURL *handle, CURLoption option, cyberctl_curl_write_callback callback) {
    return loaded() ? api.easy_setopt(handle, option, callback) : CURLE_FAILED_INIT;
}
CURLcode cyberctl_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return loaded() ? api.easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}
CURLcode cyberctl_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return loaded() ? api.easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}
