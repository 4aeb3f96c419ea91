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

#endif
