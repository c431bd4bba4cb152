/*
 * spec/access.c - user loads and stores, growsdown expansion, and
 * populate, for the reference semantics
 *
 * docs/semantics.md, "Reads and writes", "growsdown", mmap step 11, and
 * madvise populate_read/populate_write.  Everything goes one page at a
 * time, in address order, as a CPU faulting page by page would.
 */
#include <errno.h>

#include "lib/util.h"
#include "spec/internal.h"

/*
 * may_expand - docs/semantics.md, "growsdown": page @p (below every
 * mapping's start, with mapping @gi the lowest above it, growsdown) may
 * be added to it when p >= mmap_min_addr, G.end - p <= RLIMIT_STACK, and
 * the mapping just below p, if any, is growsdown, or has PROT none, or
 * ends at most at p - stack_guard_gap.  G is the whole kernel VMA: pieces
 * are merged as the kernel merges them (probe: two adjacent 4 MiB
 * growsdown mappings merge and cannot grow; after an mprotect that splits
 * them the lower one can).
 */
static bool may_expand(const struct spec_mm *mm, size_t gi, uint64_t p)
{
	const struct spec_vma *g = &mm->vmas[gi];

	if (p < SPEC_MMAP_MIN_ADDR)
		return false;
	if (g->end - p > SPEC_RLIMIT_STACK)
		return false;
	if (gi > 0) {
		const struct spec_vma *prev = &mm->vmas[gi - 1];	/* prev->end <= p */

		if (!prev->growsdown && prev->prot != 0 && p - prev->end < SPEC_STACK_GUARD_GAP)
			return false;
	}
	return true;
}

/*
 * find_vma_or_expand - step 1 of "Reads and writes": the mapping that
 * contains page @p, extending a growsdown mapping down to @p if the rules
 * allow.  The extension is kept whatever happens next (it comes before
 * the permission check).  The kernel does not merge an expanded stack
 * with the mapping below it, and neither does spec/.
 *
 * Return: the piece index, or -1 for SIGSEGV.
 */
static long find_vma_or_expand(struct spec_mm *mm, uint64_t p)
{
	size_t i = spec_mm_find_next(mm, p);

	if (i < mm->nr && mm->vmas[i].start <= p)
		return (long)i;
	if (i == mm->nr || !mm->vmas[i].growsdown || !may_expand(mm, i, p))
		return -1;
	mm->vmas[i].start = p;			/* growsdown is private anonymous */
	mm->vmas[i].pgoff = p / SPEC_PAGE_SIZE;
	return (long)i;
}

/*
 * beyond_eof - rule 3: a file page (private or shared, shared anonymous
 * included) at file index >= ceil(i_size/4096) SIGBUSes, except a private
 * file page that is already a private copy.
 */
static bool beyond_eof(const struct spec_vma *v, uint64_t p, const struct spec_page *priv)
{
	if (!spec_is_file_kind(v->kind) || (v->kind == SPEC_PRIVATE_FILE && priv))
		return false;
	return spec_vma_file_index(v, p) >= spec_file_pages(v->file);
}

/* The page a read of @p sees. */
static const struct spec_page *page_seen(const struct spec_vma *v, uint64_t p,
					 const struct spec_page *priv)
{
	if (v->kind == SPEC_PRIVATE_ANON || priv)
		return priv;
	return spec_pm_find(&v->file->pages, spec_vma_file_index(v, p));
}

/*
 * page_for_write - the page a store to @p changes: a private file page
 * first becomes a private copy of the file page as it is now (COW); a
 * private anonymous page is created zero; a shared page is the file's.
 */
static struct spec_page *page_for_write(struct spec_mm *mm, const struct spec_vma *v,
					uint64_t p)
{
	uint64_t key = p / SPEC_PAGE_SIZE;

	switch (v->kind) {
	case SPEC_PRIVATE_ANON:
		return spec_pm_get(&mm->priv, key, NULL);
	case SPEC_PRIVATE_FILE:
		return spec_pm_get(&mm->priv, key,
				   spec_pm_find(&v->file->pages, spec_vma_file_index(v, p)));
	default:
		return spec_pm_get(&v->file->pages, spec_vma_file_index(v, p), NULL);
	}
}

/**
 * spec_access - read P ADDR LEN / write P ADDR DATA, page by page
 * (docs/semantics.md, "Reads and writes").
 * @data: a store of these bytes (data->len == @len); NULL for a load.
 * @limit: stop with -ENOMEM at page number @limit, after its checks (the
 *	model ran out of memory in that page's fault); UINT64_MAX for none.
 * @out: for a load, where the bytes go; NULL to only walk (a load changes
 *	nothing but growsdown extensions, so a caller may walk first and copy
 *	after, and never allocate LEN bytes for a load that faults).
 *
 * Return: 0, SPEC_SIGSEGV or SPEC_SIGBUS at the first page that fails
 * (earlier pages of a store stay written), or -ENOMEM at @limit.
 */
int spec_access(struct spec_mm *mm, uint64_t addr, uint64_t len, const struct scn_data *data,
		uint64_t limit, unsigned char *out)
{
	uint64_t done, pages;

	for (done = 0, pages = 0; done < len; pages++) {
		/* addr + done cannot wrap before it reaches TASK_SIZE */
		uint64_t a = addr + done, p, in, chunk;
		const struct spec_page *priv;
		struct spec_vma *v;
		long i;

		if (a >= SPEC_TASK_SIZE)
			return SPEC_SIGSEGV;
		p = a & ~SPEC_PAGE_MASK;
		in = a - p;
		chunk = MIN(SPEC_PAGE_SIZE - in, len - done);
		i = find_vma_or_expand(mm, p);				/* 1 */
		if (i < 0)
			return SPEC_SIGSEGV;
		v = &mm->vmas[i];
		if (!(v->prot & (data ? SCN_PROT_WRITE : SCN_PROT_READ)))	/* 2 */
			return SPEC_SIGSEGV;
		priv = spec_is_private(v->kind) ? spec_pm_find(&mm->priv, p / SPEC_PAGE_SIZE) : NULL;
		if (beyond_eof(v, p, priv))				/* 3 */
			return SPEC_SIGBUS;
		/*
		 * The model ran out of memory at this page: its fault got this far
		 * (the stack grew, the access was allowed, the page is inside EOF)
		 * before the allocation failed.
		 */
		if (pages == limit)
			return -ENOMEM;
		if (data)						/* 4 */
			spec_page_store(page_for_write(mm, v, p), in, data, done, chunk);
		else if (out)
			spec_page_read(page_seen(v, p, priv), in, chunk, out + done);
		done += chunk;
	}
	return 0;
}

/**
 * spec_populate - madvise populate_read / populate_write on [@addr, @addr
 * + @len), page aligned (docs/semantics.md, "madvise").
 * @limit: stop with -ENOMEM before page number @limit.
 *
 * Page by page, in order: no mapping at the page (no growsdown
 * expansion): ENOMEM; PROT none, or populate_write on a mapping without
 * w: EINVAL; a file page beyond EOF: EFAULT.  A write fault that does not
 * change the data: a private file page becomes a private copy.  The pages
 * before the failing one stay populated.
 */
int spec_populate(struct spec_mm *mm, uint64_t addr, uint64_t len, bool write, uint64_t limit)
{
	uint64_t off, pages;

	for (off = 0, pages = 0; off < len; off += SPEC_PAGE_SIZE, pages++) {
		uint64_t p = addr + off;
		size_t i = spec_mm_find_next(mm, p);
		const struct spec_vma *v;
		const struct spec_page *priv;

		if (pages == limit)
			return -ENOMEM;
		if (i == mm->nr || mm->vmas[i].start > p)
			return -ENOMEM;
		v = &mm->vmas[i];
		if (v->prot == 0 || (write && !(v->prot & SCN_PROT_WRITE)))
			return -EINVAL;
		priv = spec_is_private(v->kind) ? spec_pm_find(&mm->priv, p / SPEC_PAGE_SIZE) : NULL;
		if (beyond_eof(v, p, priv))
			return -EFAULT;
		if (write && v->kind == SPEC_PRIVATE_FILE && !priv)
			page_for_write(mm, v, p);
	}
	return 0;
}

/**
 * spec_populate_mmap - mmap's populate (docs/semantics.md, "mmap" step 11)
 * for the new mapping [@addr, @addr + @len); every error is ignored.
 * @limit: fault at most this many pages (the model ran out of memory).
 *
 * A private writable mapping has each page written without changing its
 * data, so a private file page becomes a private copy; other mappings are
 * read, which changes nothing visible; PROT none: nothing.  Stops at the
 * first page that would SIGBUS.
 */
void spec_populate_mmap(struct spec_mm *mm, uint64_t addr, uint64_t len, uint64_t limit)
{
	size_t i = spec_mm_find_next(mm, addr);
	const struct spec_vma *v = &mm->vmas[i];	/* contains the whole new mapping */
	uint64_t off, pages;

	if (v->kind != SPEC_PRIVATE_FILE || !(v->prot & SCN_PROT_WRITE))
		return;
	for (off = 0, pages = 0; off < len && pages < limit; off += SPEC_PAGE_SIZE, pages++) {
		if (beyond_eof(v, addr + off, NULL))
			return;
		page_for_write(mm, v, addr + off);
	}
}
