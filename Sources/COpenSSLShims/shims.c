#include "COpenSSLShims.h"

int cyberctl_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
X509 *cyberctl_sk_X509_value(const STACK_OF(X509) *stack, int index) { return sk_X509_value(stack, index); }
STACK_OF(X509) *cyberctl_sk_X509_new_null(void) { return sk_X509_new_null(); }
int cyberctl_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate) { return sk_X509_push(stack, certificate); }
void cyberctl_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
void cyberctl_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }

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
