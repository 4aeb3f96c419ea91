// Prefixed functions for OpenSSL 3 macros that the Swift Clang importer cannot import
// (typed stacks, OPENSSL_free, BIO control macros). Keep each one mechanical.
#ifndef CYBERCTL_COPENSSL_SHIMS_H
#define CYBERCTL_COPENSSL_SHIMS_H

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

int cyberctl_sk_X509_num(const STACK_OF(X509) *stack);
X509 *cyberctl_sk_X509_value(const STACK_OF(X509) *stack, int index);
STACK_OF(X509) *cyberctl_sk_X509_new_null(void);
int cyberctl_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate);
/// Frees the stack and every certificate in it.
void cyberctl_sk_X509_pop_free(STACK_OF(X509) *stack);
/// Frees the stack only; the certificates are owned elsewhere.
void cyberctl_sk_X509_free(STACK_OF(X509) *stack);

int cyberctl_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *stack);
X509_REVOKED *cyberctl_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *stack, int index);

int cyberctl_sk_GENERAL_NAME_num(const GENERAL_NAMES *names);
GENERAL_NAME *cyberctl_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index);
void cyberctl_GENERAL_NAMES_free(GENERAL_NAMES *names);

/// XN_FLAG_RFC2253: the name format of `openssl x509 -nameopt RFC2253`.
unsigned long cyberctl_XN_FLAG_RFC2253(void);

void cyberctl_OPENSSL_free(void *pointer);
long cyberctl_BIO_get_mem_data(BIO *bio, char **data);

// Signing and the agents' PKI (CMS signer infos, X509V3 contexts without a config database).
int cyberctl_sk_CMS_SignerInfo_num(STACK_OF(CMS_SignerInfo) *stack);
CMS_SignerInfo *cyberctl_sk_CMS_SignerInfo_value(STACK_OF(CMS_SignerInfo) *stack, int index);
/// Allocates a zeroed X509V3_CTX with no config database (X509V3_set_ctx_nodb); free with cyberctl_X509V3_CTX_free.
X509V3_CTX *cyberctl_X509V3_CTX_new(void);
void cyberctl_X509V3_CTX_free(X509V3_CTX *context);
// --- libssl, for the TLS probe (TLSProbe target) ---
/// Security level 0 plus a security callback that allows everything, so that OpenSSL 3 offers and
/// accepts legacy versions, suites, groups and keys (what sslscan does in new_CTX()).
void cyberctl_SSL_CTX_allow_everything(SSL_CTX *ctx);
/// SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET: connect to servers
/// without RFC 5746 support, and do not ask for session tickets.
void cyberctl_SSL_CTX_set_probe_options(SSL_CTX *ctx);
int cyberctl_SSL_set_min_proto_version(SSL *ssl, int version);
int cyberctl_SSL_set_max_proto_version(SSL *ssl, int version);
int cyberctl_SSL_set_tlsext_host_name(SSL *ssl, const char *name);
/// Asks the server for a stapled OCSP response (status_request).
int cyberctl_SSL_request_ocsp_status(SSL *ssl);
/// Length of the stapled OCSP response, -1 when none; `*response` borrowed from the SSL.
long cyberctl_SSL_get_tlsext_status_ocsp_resp(SSL *ssl, const unsigned char **response);
long cyberctl_SSL_get_secure_renegotiation_support(SSL *ssl);
/// The server's ephemeral key (DHE/ECDHE), owned by the caller; NULL when none.
EVP_PKEY *cyberctl_SSL_get_peer_tmp_key(SSL *ssl);
int cyberctl_SSL_set1_groups_list(SSL *ssl, const char *list);
/// NID (or TLS group id | TLSEXT_nid_unknown) of the negotiated group, 0 when none.
int cyberctl_SSL_get_negotiated_group(SSL *ssl);
/// Sends TLS_FALLBACK_SCSV (RFC 7507) in the ClientHello.
void cyberctl_SSL_set_send_fallback_scsv(SSL *ssl);
void cyberctl_SSL_CTX_set_max_cert_list(SSL_CTX *ctx, long bytes);
int cyberctl_sk_SSL_CIPHER_num(const STACK_OF(SSL_CIPHER) *stack);
const SSL_CIPHER *cyberctl_sk_SSL_CIPHER_value(const STACK_OF(SSL_CIPHER) *stack, int index);
/// Checks flags for X509_check_host: never fall back to the subject CN.
unsigned int cyberctl_X509_CHECK_FLAG_NEVER_CHECK_SUBJECT(void);
unsigned int cyberctl_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS(void);

#endif
