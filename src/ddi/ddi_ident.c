/* The controller-id rule every entry point shares (see ddi.h). */
#include "ddi.h"

#include <string.h>

#include "../lib/utf8.h"

int ddi_controller_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > DDI_CID_MAX || !utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* ASCII whitespace and controls, DEL, and the path separator;
		 * bytes >= 0x80 are checked as UTF-8 above */
		if (c <= 0x20 || c == 0x7f || c == '/')
			return 0;
	}
	return 1;
}
