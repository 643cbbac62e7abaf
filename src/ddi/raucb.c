#include "raucb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir.h>
#include <sqfs/error.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_reader.h>
#include <sqfs/super.h>

#define SQFS_SUPER_SIZE 96
#define TRAILER 8
#define MANIFEST "manifest.raucm"

/* -- the manifest ------------------------------------------------------- */

struct manifest {
	struct swu_info *out;
	char compatible[256];
	const char *toolong;		/* the key whose value did not fit */
	size_t limit;			/* and the bytes it may have */
};

static int keep(char *dst, size_t n, const char *v, struct manifest *m, const char *key)
{
	size_t len = strlen(v);

	if (len >= n) {
		m->toolong = key;
		m->limit = n - 1;
		return 0;
	}
	memcpy(dst, v, len + 1);
	return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct manifest *m = user;
	struct swu_info *o = m->out;

	if (strcmp(section, "update"))
		return 1;
	if (!strcmp(name, "version"))
		return keep(o->version, sizeof(o->version), value, m, "version");
	if (!strcmp(name, "compatible"))
		return keep(m->compatible, sizeof(m->compatible), value, m, "compatible");
	/* shown to people only, but still refused rather than cut */
	if (!strcmp(name, "description"))
		return keep(o->description, sizeof(o->description), value, m, "description");
	return 1;
}

/*
 * Debian's inih keeps its options in globals; every parse sets them the
 * same way, to read manifests as GLib's key files (RAUC's reader) do: no
 * inline ';' comments, no indented continuation lines, and lines as long
 * as a manifest may be (the built-in 200 would cut a long description into
 * a bogus second line).
 */
static void ini_setup(void)
{
	ini_allow_inline_comments = false;
	ini_allow_multiline = false;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_initial_alloc = 512;
	ini_max_line = RAUCB_MANIFEST_MAX + 16;
	ini_stop_on_first_error = true;
}

static int fits(char *dst, size_t n, const char *s, size_t len)
{
	if (len >= n)
		return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* board and revision out of compatible, split at the last sep */
static int split(const char *c, const char *sep, struct swu_compat *out)
{
	size_t sl = sep ? strlen(sep) : 0, cl = strlen(c);
	const char *at = NULL, *p;

	for (p = sl ? strstr(c, sep) : NULL; p; p = strstr(p + 1, sep))
		at = p;
	/* an empty board would match every board: keep the string whole */
	if (at && at > c && at[sl])
		return fits(out->board, sizeof(out->board), c, (size_t)(at - c)) < 0 ||
		       fits(out->revision, sizeof(out->revision), at + sl, strlen(at + sl)) < 0
		       ? -1 : 0;
	out->revision[0] = '\0';
	return fits(out->board, sizeof(out->board), c, cl);
}

int raucb_manifest(const char *text, size_t len, const char *sep, struct swu_info *out,
		   struct nb_err *e)
{
	struct manifest m = { out, "", NULL, 0 };
	char *copy;
	int rc;

	out->version[0] = out->description[0] = '\0';
	out->ncompat = 0;
	if (len > RAUCB_MANIFEST_MAX || memchr(text, '\0', len)) {
		nb_fail(e, NB_INVALID, MANIFEST " is too large or binary");
		return -1;
	}
	copy = strndup(text, len);
	if (!copy) {
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return -1;
	}
	ini_setup();
	rc = ini_parse_string(copy, on_key, &m);
	free(copy);
	if (rc < 0) {
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return -1;
	}
	if (rc > 0 && m.toolong) {
		nb_fail(e, NB_INVALID, MANIFEST ":%d: [update] %s is too long (at most %zu bytes)", rc,
			 m.toolong, m.limit);
		return -1;
	}
	if (rc > 0) {
		nb_fail(e, NB_INVALID, MANIFEST ":%d: not a [section] or key=value line", rc);
		return -1;
	}
	if (!out->version[0]) {
		nb_fail(e, NB_INVALID, MANIFEST " has no [update] version");
		return -1;
	}
	if (!m.compatible[0]) {
		nb_fail(e, NB_INVALID, MANIFEST " has no [update] compatible");
		return -1;
	}
	if (split(m.compatible, sep, &out->compat[0]) < 0) {
		nb_fail(e, NB_INVALID, MANIFEST ": [update] compatible is too long (board and revision"
			 " at most %zu bytes each)", sizeof(out->compat[0].board) - 1);
		return -1;
	}
	out->ncompat = 1;
	return 0;
}

/* -- the signature ------------------------------------------------------ */

static int is_signed_data(const unsigned char *sig, size_t n)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *ci = d2i_CMS_ContentInfo(NULL, &p, (long)n);
	int ok = ci && p == sig + n && OBJ_obj2nid(CMS_get0_type(ci)) == NID_pkcs7_signed;

	CMS_ContentInfo_free(ci);
	/* a failed parse leaves reasons queued: not this thread's next caller's */
	ERR_clear_error();
	return ok;
}

/*
 * Checks the trailer (the signature's size) and that the signature is one
 * CMS SignedData; *end is where the signature starts.  A cut-off or
 * stripped bundle fails here, before the squashfs is read.
 */
static int check_signature(const struct swu_src *src, off_t *end, struct nb_err *e)
{
	unsigned char tail[TRAILER], *sig;
	uint64_t n = 0;
	int i, ok;

	if (src->size < SQFS_SUPER_SIZE + TRAILER ||
	    swu_get(src, tail, TRAILER, src->size - TRAILER) < 0) {
		nb_fail(e, NB_INVALID, "truncated: too short for a RAUC bundle");
		return -1;
	}
	for (i = 0; i < TRAILER; i++)
		n = n << 8 | tail[i];
	if (n == 0) {
		nb_fail(e, NB_INVALID, "unsigned or truncated RAUC bundle: no signature at the end");
		return -1;
	}
	if (n > RAUCB_SIG_MAX || n > (uint64_t)(src->size - TRAILER - SQFS_SUPER_SIZE)) {
		nb_fail(e, NB_INVALID, "corrupt or truncated RAUC bundle: a signature of %llu bytes "
			 "does not fit", (unsigned long long)n);
		return -1;
	}
	*end = src->size - TRAILER - (off_t)n;
	sig = malloc(n);
	if (!sig) {
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return -1;
	}
	ok = swu_get(src, sig, n, *end) == 0 && is_signed_data(sig, n);
	free(sig);
	if (!ok) {
		nb_fail(e, NB_INVALID, "corrupt or truncated RAUC bundle: the signature is not "
			 "CMS signed data");
		return -1;
	}
	return 0;
}

/* -- the squashfs ------------------------------------------------------- */

/* libsquashfs reads through this: the byte source, cut off at limit */
struct sq_file {
	sqfs_file_t base;
	const struct swu_src *src;
	sqfs_u64 limit;
};

static int sq_read(sqfs_file_t *f, sqfs_u64 off, void *buf, size_t n)
{
	struct sq_file *s = (struct sq_file *)f;

	if (off > s->limit || n > s->limit - off)
		return SQFS_ERROR_OUT_OF_BOUNDS;
	return swu_get(s->src, buf, n, (off_t)off) < 0 ? SQFS_ERROR_IO : 0;
}

static int sq_write(sqfs_file_t *f, sqfs_u64 off, const void *buf, size_t n)
{
	(void)f, (void)off, (void)buf, (void)n;
	return SQFS_ERROR_UNSUPPORTED;
}

static sqfs_u64 sq_size(const sqfs_file_t *f)
{
	return ((const struct sq_file *)f)->limit;
}

static int sq_truncate(sqfs_file_t *f, sqfs_u64 size)
{
	(void)f, (void)size;
	return SQFS_ERROR_UNSUPPORTED;
}

/* the file lives on the caller's stack: nothing to free */
static void sq_destroy(sqfs_object_t *o)
{
	(void)o;
}

struct sq {
	struct sq_file file;
	sqfs_super_t super;
	sqfs_compressor_t *cmp;
	sqfs_meta_reader_t *inodes, *dirs;
	sqfs_data_reader_t *data;
	sqfs_inode_generic_t *root, *inode;
};

static void sq_close(struct sq *q)
{
	sqfs_free(q->inode);
	sqfs_free(q->root);
	sqfs_destroy(q->data);
	sqfs_destroy(q->dirs);
	sqfs_destroy(q->inodes);
	sqfs_destroy(q->cmp);
}

/*
 * The fragment table is allocated whole from the superblock's count: a
 * count that the table's index could not even describe inside the image
 * would only make libsquashfs allocate gigabytes for nothing.  A bundle
 * holds a manifest and a few images, so 65536 fragments (a 1 MiB table)
 * is far more than any has.
 */
static int fragments_plausible(const sqfs_super_t *s)
{
	uint64_t blocks = ((uint64_t)s->fragment_entry_count * 16 + 8191) / 8192;

	if ((s->flags & SQFS_FLAG_NO_FRAGMENTS) || s->fragment_entry_count == 0 ||
	    s->fragment_table_start == UINT64_MAX)
		return 1;
	return s->fragment_entry_count <= 65536 && s->fragment_entry_count <= s->inode_count &&
	       s->fragment_table_start < s->bytes_used &&
	       blocks * 8 <= s->bytes_used - s->fragment_table_start;
}

/* Superblock and compressor, with the squashfs ending before *end. */
static int sq_open(struct sq *q, const struct swu_src *src, off_t end, struct nb_err *e)
{
	sqfs_compressor_config_t cfg;

	q->file = (struct sq_file){ { { sq_destroy, NULL }, sq_read, sq_write, sq_size,
				      sq_truncate }, src, (sqfs_u64)end };
	if (sqfs_super_read(&q->super, &q->file.base)) {
		nb_fail(e, NB_INVALID, "not a RAUC bundle: corrupt squashfs superblock");
		return -1;
	}
	if (q->super.bytes_used > (sqfs_u64)end) {
		nb_fail(e, NB_INVALID, "truncated: the squashfs needs %llu bytes, the signature "
			 "starts at byte %lld", (unsigned long long)q->super.bytes_used,
			 (long long)end);
		return -1;
	}
	q->file.limit = q->super.bytes_used;
	if (!fragments_plausible(&q->super)) {
		nb_fail(e, NB_INVALID, "corrupt squashfs: implausible fragment table");
		return -1;
	}
	if (sqfs_compressor_config_init(&cfg, (SQFS_COMPRESSOR)q->super.compression_id,
					q->super.block_size, SQFS_COMP_FLAG_UNCOMPRESS) ||
	    sqfs_compressor_create(&cfg, &q->cmp)) {
		nb_fail(e, NB_INVALID, "squashfs compressor %u is not supported",
			 (unsigned)q->super.compression_id);
		return -1;
	}
	if ((q->super.flags & SQFS_FLAG_COMPRESSOR_OPTIONS) &&
	    q->cmp->read_options(q->cmp, &q->file.base)) {
		nb_fail(e, NB_INVALID, "corrupt squashfs: bad compressor options");
		return -1;
	}
	return 0;
}

/* n little-endian bytes */
static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/*
 * An extended directory's index entries: libsquashfs allocates each name
 * from the length the entry claims (up to 4 GiB); squashfs names are at
 * most 256 bytes.  Layout: index, start, size (name length - 1), name.
 */
static int sq_peek_index(struct sq *q, unsigned count)
{
	unsigned char e[12], name[256];

	while (count--) {
		if (sqfs_meta_reader_read(q->inodes, e, sizeof(e)) || le(e + 8, 4) >= sizeof(name) ||
		    sqfs_meta_reader_read(q->inodes, name, (size_t)le(e + 8, 4) + 1))
			return -1;
	}
	return 0;
}

/*
 * libsquashfs allocates an inode's variable part (a directory's index, a
 * file's block list) from the sizes the inode claims, up to gigabytes,
 * before finding that the image cannot hold them.  So the two inodes read
 * here are looked at first, raw (little-endian: type, mode, uid, gid,
 * mtime, number; then a basic file's start, fragment, offset and 32-bit
 * size, an extended file's 64-bit start and size, an extended directory's
 * links, size, start, parent and index count).  Returns the type, or -1.
 */
static int sq_peek(struct sq *q, sqfs_u64 ref, sqfs_u64 *size)
{
	unsigned char h[40];
	unsigned type;

	if (sqfs_meta_reader_seek(q->inodes, q->super.inode_table_start + (ref >> 16),
				  ref & 0xffff) || sqfs_meta_reader_read(q->inodes, h, 16))
		return -1;
	type = (unsigned)le(h, 2);
	if (type == SQFS_INODE_FILE || type == SQFS_INODE_EXT_FILE) {
		if (sqfs_meta_reader_read(q->inodes, h + 16, 16))
			return -1;
		*size = type == SQFS_INODE_FILE ? le(h + 28, 4) : le(h + 24, 8);
	}
	if (type == SQFS_INODE_EXT_DIR &&
	    (sqfs_meta_reader_read(q->inodes, h + 16, 24) ||
	     sq_peek_index(q, (unsigned)le(h + 32, 2))))
		return -1;
	return (int)type;
}

/* The full inode, once sq_peek found it harmless (the block is table-relative). */
static int sq_inode(struct sq *q, sqfs_u64 ref, sqfs_inode_generic_t **out)
{
	return sqfs_meta_reader_read_inode(q->inodes, &q->super, ref >> 16, ref & 0xffff, out);
}

/* The root directory, a directory; its manifest.raucm's inode ref in *ref. */
static int sq_lookup(struct sq *q, sqfs_u64 *ref, struct nb_err *e)
{
	sqfs_readdir_state_t st;
	sqfs_dir_entry_t *ent = NULL;
	sqfs_u64 size = 0;
	int type = sq_peek(q, q->super.root_inode_ref, &size), rc, n = 0;

	if ((type != SQFS_INODE_DIR && type != SQFS_INODE_EXT_DIR) ||
	    sq_inode(q, q->super.root_inode_ref, &q->root) ||
	    sqfs_readdir_state_init(&st, &q->super, q->root)) {
		nb_fail(e, NB_INVALID, "corrupt squashfs: cannot read the root directory");
		return -1;
	}
	/* a bundle holds a manifest and a few images, not a file system */
	while (n++ < 4096 && (rc = sqfs_meta_reader_readdir(q->dirs, &st, &ent, NULL, ref)) == 0) {
		int hit = ent->size + 1u == sizeof(MANIFEST) - 1 &&
			  !memcmp(ent->name, MANIFEST, sizeof(MANIFEST) - 1);
		sqfs_free(ent);
		if (hit)
			return 0;
	}
	if (rc > 0)
		nb_fail(e, NB_INVALID, "not a RAUC bundle: no " MANIFEST);
	else
		nb_fail(e, NB_INVALID, "corrupt squashfs: cannot read the root directory");
	return -1;
}

/* The manifest's inode: a regular file of at most RAUCB_MANIFEST_MAX bytes. */
static int sq_find(struct sq *q, struct nb_err *e)
{
	sqfs_u64 ref, size = 0;
	int type;

	q->inodes = sqfs_meta_reader_create(&q->file.base, q->cmp, q->super.inode_table_start,
					    q->super.directory_table_start);
	q->dirs = sqfs_meta_reader_create(&q->file.base, q->cmp, q->super.directory_table_start,
					  q->super.bytes_used);
	if (!q->inodes || !q->dirs) {
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return -1;
	}
	if (sq_lookup(q, &ref, e) < 0)
		return -1;
	type = sq_peek(q, ref, &size);
	if (type < 0) {
		nb_fail(e, NB_INVALID, "corrupt squashfs: cannot read the inode of " MANIFEST);
		return -1;
	}
	if (type != SQFS_INODE_FILE && type != SQFS_INODE_EXT_FILE) {
		nb_fail(e, NB_INVALID, MANIFEST " is not a regular file");
		return -1;
	}
	if (size > RAUCB_MANIFEST_MAX) {
		nb_fail(e, NB_INVALID, MANIFEST " is larger than %d bytes", RAUCB_MANIFEST_MAX);
		return -1;
	}
	if (sq_inode(q, ref, &q->inode)) {
		nb_fail(e, NB_INVALID, "corrupt squashfs: cannot read the inode of " MANIFEST);
		return -1;
	}
	return 0;
}

/* The manifest's bytes, NUL-terminated, into a malloc'd *text. */
static int sq_slurp(struct sq *q, char **text, size_t *len, struct nb_err *e)
{
	sqfs_u64 size = 0, got = 0;

	if (sqfs_inode_get_file_size(q->inode, &size) || size > RAUCB_MANIFEST_MAX) {
		nb_fail(e, NB_INVALID, MANIFEST " is larger than %d bytes", RAUCB_MANIFEST_MAX);
		return -1;
	}
	q->data = sqfs_data_reader_create(&q->file.base, q->super.block_size, q->cmp, 0);
	*text = malloc(size + 1);
	if (!q->data || !*text) {
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return -1;
	}
	if (sqfs_data_reader_load_fragment_table(q->data, &q->super)) {
		nb_fail(e, NB_INVALID, "corrupt squashfs: cannot read the fragment table");
		return -1;
	}
	while (got < size) {
		sqfs_s32 r = sqfs_data_reader_read(q->data, q->inode, got, *text + got,
						   (sqfs_u32)(size - got));
		if (r <= 0) {
			nb_fail(e, NB_INVALID, "corrupt squashfs: cannot read " MANIFEST);
			return -1;
		}
		got += (sqfs_u64)r;
	}
	(*text)[size] = '\0';
	*len = (size_t)size;
	return 0;
}

int raucb_read(const struct swu_src *src, const char *sep, struct swu_info *out,
	       struct nb_err *e)
{
	struct sq q = { 0 };
	char magic[4], *text = NULL;
	size_t len = 0;
	off_t end;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (src->size < 4 || swu_get(src, magic, 4, 0) < 0 || memcmp(magic, "hsqs", 4)) {
		nb_fail(e, NB_INVALID, "not a RAUC bundle: no squashfs magic at byte 0");
		return -1;
	}
	if (check_signature(src, &end, e) == 0 &&
	    sq_open(&q, src, end, e) == 0 && sq_find(&q, e) == 0 &&
	    sq_slurp(&q, &text, &len, e) == 0)
		rc = raucb_manifest(text, len, sep, out, e);
	free(text);
	sq_close(&q);
	return rc;
}

int raucb_read_file(const char *path, const char *sep, struct swu_info *out,
		    struct nb_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	struct swu_src src = { swu_fd_pread, &fd, 0 };

	if (fd < 0) {
		nb_fail(e, NB_UNAVAILABLE, "cannot read the image: %s", strerror(errno));
		return -1;
	}
	src.size = lseek(fd, 0, SEEK_END);
	rc = raucb_read(&src, sep, out, e);
	close(fd);
	return rc;
}

int raucb_read_mem(const void *p, size_t n, const char *sep, struct swu_info *out,
		   struct nb_err *e)
{
	struct swu_mem m = { p, n };
	struct swu_src src = { swu_mem_pread, &m, (off_t)n };

	return raucb_read(&src, sep, out, e);
}
