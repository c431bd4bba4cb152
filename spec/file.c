/*
 * spec/file.c - files for the reference semantics: size, content, and
 * what pread, pwrite and truncate do to them and to the mappings of them
 *
 * docs/semantics.md, "Files" and "Truncate and mappings".  A file's
 * content is a sparse page map; a missing page reads zero.  The bytes of
 * the last page beyond i_size are kept (a shared mapping may write them;
 * private mappings and later growth see them as the rules say).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "spec/internal.h"

struct spec_file *spec_file_new(uint64_t size, bool tmpfs)
{
	struct spec_file *f = xcalloc(1, sizeof(*f));

	f->refs = 1;
	f->size = size;
	f->tmpfs = tmpfs;
	f->maxbytes = tmpfs ? SPEC_MAX_LFS_FILESIZE : SPEC_EXT4_MAXBYTES;
	spec_pm_init(&f->pages);
	return f;
}

struct spec_file *spec_file_get(struct spec_file *f)
{
	f->refs++;
	return f;
}

void spec_file_put(struct spec_file *f)
{
	if (!f || --f->refs > 0)
		return;
	spec_pm_free(&f->pages);
	free(f);
}

uint64_t spec_file_pages(const struct spec_file *f)
{
	return f->size / SPEC_PAGE_SIZE + (f->size % SPEC_PAGE_SIZE != 0);
}

/*
 * file_zero - zero bytes [from, to) of @f's content (no size change).
 * Only ever used inside one page.
 */
static void file_zero(struct spec_file *f, uint64_t from, uint64_t to)
{
	uint64_t idx = from / SPEC_PAGE_SIZE;
	struct spec_page *p;

	if (from >= to)
		return;
	p = spec_pm_find(&f->pages, idx);
	if (p)		/* a missing page is zero already */
		spec_page_zero(p, from % SPEC_PAGE_SIZE, to - from);
}

/*
 * file_grow - pwrite grows i_size from old to @size > old.
 *
 * docs/semantics.md, "Growing" (ext4's behaviour, probed on Linux 6.18):
 * the old last page's bytes [old, min(new, round_up(old, 4096))) become
 * zero before the data is written over them, so what stays zero is
 * [old, min(OFF, round_up(old))); every byte beyond the old last page
 * reads zero until written (no page beyond it is stored).  tmpfs
 * (config files=memfd) keeps those bytes instead (probed).
 */
static void file_grow(struct spec_file *f, uint64_t size)
{
	uint64_t old = f->size;
	uint64_t tail_end = (old + SPEC_PAGE_MASK) & ~SPEC_PAGE_MASK;

	if (!f->tmpfs)
		file_zero(f, old, MIN(size, tail_end));
	f->size = size;
}

/* truncate up: ext4 zeroes the whole tail of the old last page, tmpfs nothing (probed). */
static void file_grow_truncate(struct spec_file *f, uint64_t size)
{
	uint64_t tail_end = (f->size + SPEC_PAGE_MASK) & ~SPEC_PAGE_MASK;

	if (!f->tmpfs)
		file_zero(f, f->size, tail_end);
	f->size = size;
}

/*
 * rw_check - docs/semantics.md, "Files": the checks of pread and pwrite
 * before any I/O, in Linux's order: EINVAL for OFF > MAX_LFS_FILESIZE (a
 * negative offset); EFAULT when the LEN-byte buffer, which is at
 * SPEC_RW_USER_BUF, would reach past TASK_SIZE (access_ok); EINVAL when
 * OFF + LEN > MAX_LFS_FILESIZE (rw_verify_area).  Probed: pread(fd,
 * 0x10000, 0x7ffffffef000, 0) reads, one byte more is EFAULT.
 */
static int rw_check(uint64_t off, uint64_t len)
{
	if (off > SPEC_MAX_LFS_FILESIZE)
		return -EINVAL;
	if (len > SPEC_TASK_SIZE - SPEC_RW_USER_BUF)
		return -EFAULT;
	if (len > SPEC_MAX_LFS_FILESIZE - off)
		return -EINVAL;
	return 0;
}

/**
 * spec_do_pread - pread F OFF LEN (docs/semantics.md, "Files").
 *
 * The checks of rw_check(); then the bytes [OFF, min(OFF+LEN, i_size)),
 * empty when OFF >= i_size.
 *
 * Return: 0 with *buf (malloc'd, never NULL, *n bytes), -EINVAL or -EFAULT.
 */
int spec_do_pread(const struct spec_file *f, uint64_t off, uint64_t len, unsigned char **buf,
		  uint64_t *n)
{
	uint64_t end, pos;
	int err = rw_check(off, len);

	if (err)
		return err;
	end = MIN(off + len, f->size);
	*n = end > off ? end - off : 0;
	*buf = xmalloc(*n ? *n : 1);
	for (pos = off; pos < end;) {
		uint64_t in = pos % SPEC_PAGE_SIZE;
		uint64_t chunk = MIN(SPEC_PAGE_SIZE - in, end - pos);

		spec_page_read(spec_pm_find(&f->pages, pos / SPEC_PAGE_SIZE), in, chunk,
			       *buf + (pos - off));
		pos += chunk;
	}
	return 0;
}

/**
 * spec_do_pwrite - pwrite F OFF DATA (docs/semantics.md, "Files").
 *
 * The checks of rw_check(); empty DATA: ok, no effect; EFBIG if OFF is at
 * or past the filesystem's largest file size, and only the bytes below it
 * are written; otherwise the file grows to OFF + len if that is beyond
 * i_size ("Growing"), then the bytes are written.
 */
int spec_do_pwrite(struct spec_file *f, uint64_t off, const struct scn_data *d)
{
	uint64_t len = d->len, pos;
	int err = rw_check(off, len);

	if (err)
		return err;
	if (!len)
		return 0;
	if (off >= f->maxbytes)
		return -EFBIG;
	len = MIN(len, f->maxbytes - off);
	if (off + len > f->size)
		file_grow(f, off + len);
	for (pos = off; pos < off + len;) {
		uint64_t in = pos % SPEC_PAGE_SIZE;
		uint64_t chunk = MIN(SPEC_PAGE_SIZE - in, off + len - pos);
		struct spec_page *p = spec_pm_get(&f->pages, pos / SPEC_PAGE_SIZE, NULL);

		spec_page_store(p, in, d, pos - off, chunk);
		pos += chunk;
	}
	return 0;
}

/*
 * drop_private_copies - after a shrink of @f to @hole pages, every private
 * mapping of @f loses its private copies of pages at file index >= hole
 * (docs/semantics.md, "Truncate and mappings": they SIGBUS now, and follow
 * the file again if it grows).
 */
static void drop_private_copies(struct spec *s, const struct spec_file *f, uint64_t hole)
{
	for (size_t p = 0; p < s->nr_procs; p++) {
		struct spec_mm *mm = s->procs[p];

		if (!mm)
			continue;
		for (size_t i = 0; i < mm->nr; i++) {
			const struct spec_vma *v = &mm->vmas[i];
			uint64_t npages = (v->end - v->start) / SPEC_PAGE_SIZE;
			uint64_t first;

			if (v->kind != SPEC_PRIVATE_FILE || v->file != f)
				continue;
			if (v->pgoff + npages <= hole)
				continue;
			first = hole > v->pgoff ? hole - v->pgoff : 0;
			spec_pm_remove_range(&mm->priv, v->start / SPEC_PAGE_SIZE + first,
					     v->end / SPEC_PAGE_SIZE);
		}
	}
}

/**
 * spec_do_truncate - truncate F SIZE (docs/semantics.md, "Files" and
 * "Truncate and mappings").
 *
 * SIZE > MAX_LFS_FILESIZE: EINVAL.  ftruncate(2) takes a signed off_t and
 * Linux returns EINVAL for a negative length before any size check
 * (probe: ftruncate(fd, -1) = -1 EINVAL on tmpfs and ext4).  SIZE past
 * the filesystem's largest file size: EFBIG (ext4: 16 TiB - 4 KiB).
 *
 * SIZE <= i_size: i_size = SIZE, pages >= hole = ceil(SIZE/4096) are gone
 * (from the file and as private copies in private mappings), the tail of
 * the last page beyond SIZE is zeroed.  SIZE == i_size is treated as a
 * shrink: semantics.md covers only S < old and S > old, and Linux zeroes
 * the tail on a same-size ftruncate (probe: shared mapping bytes beyond
 * EOF read zero after ftruncate(fd, size) on tmpfs and ext4).
 *
 * SIZE > i_size: "Growing".
 */
int spec_do_truncate(struct spec *s, struct spec_file *f, uint64_t size)
{
	uint64_t hole;

	if (size > SPEC_MAX_LFS_FILESIZE)
		return -EINVAL;
	if (size > f->maxbytes)
		return -EFBIG;
	if (size > f->size) {
		file_grow_truncate(f, size);
		return 0;
	}
	f->size = size;
	hole = spec_file_pages(f);
	spec_pm_remove_range(&f->pages, hole, UINT64_MAX);
	if (size % SPEC_PAGE_SIZE)
		file_zero(f, size, hole * SPEC_PAGE_SIZE);
	drop_private_copies(s, f, hole);
	return 0;
}
