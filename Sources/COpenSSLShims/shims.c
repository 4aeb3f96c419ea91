#include "COpenSSLShims.h"

int cyberctl_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
X509 *cyberctl_sk_X509_value(const STACK_OF(X509) *stack, int index) { return sk_X509_value(stack, index); }
STACK_OF(X509) *cyberctl_sk_X509_new_null(void) { return sk_X509_new_null(); }
int cyberctl_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate) { return sk_X509_push(stack, certificate); }
void cyberctl_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
void cyberctl_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
int cyberctl_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *stack) { return sk_X509_REVOKED_num(stack); }
X509_REVOKED *cyberctl_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *stack, int index) { return sk_X509_REVOKED_value(stack, index); }

int cyberctl_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
GENERAL_NAME *cyberctl_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}
void cyberctl_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

void cyberctl_OPENSSL_free(void *pointer) { OPENSSL_free(pointer); }
long cyberctl_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
unsigned long cyberctl_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }

int cyberctl_sk_CMS_SignerInfo_num(STACK_OF(CMS_SignerInfo) *stack) { return sk_CMS_SignerInfo_num(stack); }
CMS_SignerInfo *cyberctl_sk_CMS_SignerInfo_value(STACK_OF(CMS_SignerInfo) *stack, int index) {
    return sk_CMS_SignerInfo_value(stack, index);
}
X509V3_CTX *cyberctl_X509V3_CTX_new(void) {
    X509V3_CTX *context = OPENSSL_zalloc(sizeof(X509V3_CTX));
    if (context != NULL) { X509V3_set_ctx_nodb(context); }
    return context;
}
void cyberctl_X509V3_CTX_free(X509V3_CTX *context) { OPENSSL_free(context); }
// --- libssl, for the TLS probe ---
static int cyberctl_allow_all_security(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid,
                                       void *other, void *ex) {
    (void)s; (void)ctx; (void)op; (void)bits; (void)nid; (void)other; (void)ex;
    return 1;
}
void cyberctl_SSL_CTX_allow_everything(SSL_CTX *ctx) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_security_callback(ctx, cyberctl_allow_all_security);
}
void cyberctl_SSL_CTX_set_probe_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
}
int cyberctl_SSL_set_min_proto_version(SSL *ssl, int version) { return (int)SSL_set_min_proto_version(ssl, version); }
int cyberctl_SSL_set_max_proto_version(SSL *ssl, int version) { return (int)SSL_set_max_proto_version(ssl, version); }
int cyberctl_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
int cyberctl_SSL_request_ocsp_status(SSL *ssl) { return (int)SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp); }
long cyberctl_SSL_get_tlsext_status_ocsp_resp(SSL *ssl, const unsigned char **response) {
    return SSL_get_tlsext_status_ocsp_resp(ssl, response);
}
long cyberctl_SSL_get_secure_renegotiation_support(SSL *ssl) { return SSL_get_secure_renegotiation_support(ssl); }
EVP_PKEY *cyberctl_SSL_get_peer_tmp_key(SSL *ssl) {
    EVP_PKEY *key = NULL;
    if (SSL_get_peer_tmp_key(ssl, &key) != 1) return NULL;
    return key;
}
int cyberctl_SSL_set1_groups_list(SSL *ssl, const char *list) { return (int)SSL_set1_groups_list(ssl, list); }
int cyberctl_SSL_get_negotiated_group(SSL *ssl) { return (int)SSL_get_negotiated_group(ssl); }
void cyberctl_SSL_set_send_fallback_scsv(SSL *ssl) { SSL_set_mode(ssl, SSL_MODE_SEND_FALLBACK_SCSV); }
void cyberctl_SSL_CTX_set_max_cert_list(SSL_CTX *ctx, long bytes) { SSL_CTX_set_max_cert_list(ctx, bytes); }
int cyberctl_sk_SSL_CIPHER_num(const STACK_OF(SSL_CIPHER) *stack) { return sk_SSL_CIPHER_num(stack); }
const SSL_CIPHER *cyberctl_sk_SSL_CIPHER_value(const STACK_OF(SSL_CIPHER) *stack, int index) {
    return sk_SSL_CIPHER_value(stack, index);
}
unsigned int cyberctl_X509_CHECK_FLAG_NEVER_CHECK_SUBJECT(void) { return X509_CHECK_FLAG_NEVER_CHECK_SUBJECT; }
unsigned int cyberctl_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS(void) { return X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS; }
