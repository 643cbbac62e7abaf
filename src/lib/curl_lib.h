/*
 * curl_lib.h - libcurl's functions, loaded on first use.
 *
 * libcurl, and what Debian's build of it loads (TLS, Kerberos, LDAP, RTMP,
 * SSH, IDN...), cost about 4 MiB of RSS in every process that links it.
 * Only some programs fetch (mip-index's proxy, the pypi mirror, the
 * admin's import from a URL, a store with blob.backend s3), and seldom:
 * so libcurl is opened (dlopen) on the first call, not at start.  The
 * headers and the ABI are Debian's libcurl4 (pkg-config libcurl).
 */
#ifndef NB_CURL_LIB_H
#define NB_CURL_LIB_H

#include <curl/curl.h>

struct curl_lib {
	CURL *(*init)(void);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	void (*cleanup)(CURL *);
	const char *(*strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
};

/* The functions, loaded once per process (thread-safe); NULL when
 * libcurl.so.4 or one of them cannot be loaded.  Never changes after. */
const struct curl_lib *curl_lib(void);

#endif
