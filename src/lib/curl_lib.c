#include "curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>

/* Written once under pthread_once, read-only afterwards. */
static struct curl_lib cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static int cu_ok;

static void cu_load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	*(void **)&cu.init = dlsym(h, "curl_easy_init");
	*(void **)&cu.setopt = dlsym(h, "curl_easy_setopt");
	*(void **)&cu.perform = dlsym(h, "curl_easy_perform");
	*(void **)&cu.getinfo = dlsym(h, "curl_easy_getinfo");
	*(void **)&cu.cleanup = dlsym(h, "curl_easy_cleanup");
	*(void **)&cu.strerror = dlsym(h, "curl_easy_strerror");
	*(void **)&cu.slist_append = dlsym(h, "curl_slist_append");
	*(void **)&cu.slist_free_all = dlsym(h, "curl_slist_free_all");
	cu_ok = cu.init && cu.setopt && cu.perform && cu.getinfo && cu.cleanup && cu.strerror &&
		cu.slist_append && cu.slist_free_all;
}

const struct curl_lib *curl_lib(void)
{
	pthread_once(&cu_once, cu_load);
	return cu_ok ? &cu : NULL;
}
