/*
 * spec/pagemap.c - sparse page storage for the reference semantics
 *
 * A hash map from page number to one page of content, used both for a
 * file's pages (key: page index) and for a process's private pages (key:
 * virtual page number).  Mappings may be 1 GiB and files may be
 * MAX_LFS_FILESIZE long; only pages that were written hold memory, and a
 * page whose bytes are all equal holds none (struct spec_page.data NULL).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "spec/internal.h"

static size_t pm_hash(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void spec_pm_init(struct spec_pagemap *pm)
{
	pm->slots = NULL;
	pm->cap = 0;
	pm->count = 0;
}

void spec_pm_free(struct spec_pagemap *pm)
{
	for (size_t i = 0; i < pm->cap; i++)
		if (pm->slots[i].key != SPEC_PM_EMPTY)
			free(pm->slots[i].data);
	free(pm->slots);
	spec_pm_init(pm);
}

static struct spec_page *pm_alloc_slots(size_t cap)
{
	struct spec_page *slots = xmalloc(cap * sizeof(*slots));

	for (size_t i = 0; i < cap; i++) {
		slots[i].key = SPEC_PM_EMPTY;
		slots[i].data = NULL;
		slots[i].fill = 0;
	}
	return slots;
}

/* Place an entry whose key is known to be absent (used when growing). */
static void pm_place(struct spec_page *slots, size_t cap, const struct spec_page *e)
{
	size_t i = pm_hash(e->key, cap);

	while (slots[i].key != SPEC_PM_EMPTY)
		i = (i + 1) & (cap - 1);
	slots[i] = *e;
}

static void pm_grow(struct spec_pagemap *pm)
{
	size_t ncap = pm->cap ? pm->cap * 2 : 16;
	struct spec_page *ns = pm_alloc_slots(ncap);

	for (size_t i = 0; i < pm->cap; i++)
		if (pm->slots[i].key != SPEC_PM_EMPTY)
			pm_place(ns, ncap, &pm->slots[i]);
	free(pm->slots);
	pm->slots = ns;
	pm->cap = ncap;
}

struct spec_page *spec_pm_find(const struct spec_pagemap *pm, uint64_t key)
{
	if (!pm->cap)
		return NULL;
	for (size_t i = pm_hash(key, pm->cap);; i = (i + 1) & (pm->cap - 1)) {
		if (pm->slots[i].key == key)
			return &pm->slots[i];
		if (pm->slots[i].key == SPEC_PM_EMPTY)
			return NULL;
	}
}

struct spec_page *spec_pm_get(struct spec_pagemap *pm, uint64_t key, const struct spec_page *init)
{
	struct spec_page *p = spec_pm_find(pm, key);
	struct spec_page e;

	if (p)
		return p;
	if ((pm->count + 1) * 2 > pm->cap)
		pm_grow(pm);
	e.key = key;
	e.data = NULL;
	e.fill = 0;
	if (init && init->data) {
		e.data = xmalloc(SPEC_PAGE_SIZE);
		memcpy(e.data, init->data, SPEC_PAGE_SIZE);
	} else if (init) {
		e.fill = init->fill;
	}
	pm_place(pm->slots, pm->cap, &e);
	pm->count++;
	return spec_pm_find(pm, key);
}

void spec_pm_remove(struct spec_pagemap *pm, uint64_t key)
{
	struct spec_page *p = spec_pm_find(pm, key);
	size_t hole, i;

	if (!p)
		return;
	free(p->data);
	hole = (size_t)(p - pm->slots);
	pm->slots[hole].key = SPEC_PM_EMPTY;
	pm->slots[hole].data = NULL;
	pm->count--;
	/* Backward-shift: move later entries of the probe run into the hole. */
	for (i = (hole + 1) & (pm->cap - 1); pm->slots[i].key != SPEC_PM_EMPTY;
	     i = (i + 1) & (pm->cap - 1)) {
		size_t home = pm_hash(pm->slots[i].key, pm->cap);
		bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);

		if (movable) {
			pm->slots[hole] = pm->slots[i];
			pm->slots[i].key = SPEC_PM_EMPTY;
			pm->slots[i].data = NULL;
			hole = i;
		}
	}
}

void spec_pm_remove_range(struct spec_pagemap *pm, uint64_t lo, uint64_t hi)
{
	if (lo >= hi || !pm->count)
		return;
	if (hi - lo <= pm->count) {
		for (uint64_t k = lo; k < hi; k++)
			spec_pm_remove(pm, k);
		return;
	}
	/* Rebuild without the range. */
	struct spec_page *old = pm->slots;
	size_t ocap = pm->cap;

	pm->slots = pm_alloc_slots(ocap);
	pm->count = 0;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].key == SPEC_PM_EMPTY)
			continue;
		if (old[i].key >= lo && old[i].key < hi) {
			free(old[i].data);
			continue;
		}
		pm_place(pm->slots, pm->cap, &old[i]);
		pm->count++;
	}
	free(old);
}

/*
 * spec_pm_move_range - re-key every entry in [lo, hi) to key - lo + to
 * (mremap: the pages go with the mapping).  An entry already at a new key
 * is replaced.
 */
void spec_pm_move_range(struct spec_pagemap *pm, uint64_t lo, uint64_t hi, uint64_t to)
{
	struct spec_page *moved;
	size_t n = 0;

	if (lo >= hi || !pm->count || lo == to)
		return;
	moved = xmalloc(pm->count * sizeof(*moved));
	for (size_t i = 0; i < pm->cap; i++)
		if (pm->slots[i].key != SPEC_PM_EMPTY && pm->slots[i].key >= lo &&
		    pm->slots[i].key < hi) {
			moved[n++] = pm->slots[i];
			pm->slots[i].data = NULL;	/* ownership goes with the move */
		}
	for (size_t i = 0; i < n; i++)
		spec_pm_remove(pm, moved[i].key);
	for (size_t i = 0; i < n; i++) {
		struct spec_page *p = spec_pm_get(pm, moved[i].key - lo + to, NULL);

		free(p->data);
		p->data = moved[i].data;
		p->fill = moved[i].fill;
	}
	free(moved);
}

void spec_pm_clone(struct spec_pagemap *dst, const struct spec_pagemap *src)
{
	spec_pm_init(dst);
	if (!src->cap)
		return;
	dst->slots = pm_alloc_slots(src->cap);
	dst->cap = src->cap;
	dst->count = src->count;
	for (size_t i = 0; i < src->cap; i++) {
		dst->slots[i] = src->slots[i];
		if (src->slots[i].key != SPEC_PM_EMPTY && src->slots[i].data) {
			dst->slots[i].data = xmalloc(SPEC_PAGE_SIZE);
			memcpy(dst->slots[i].data, src->slots[i].data, SPEC_PAGE_SIZE);
		}
	}
}

void spec_page_read(const struct spec_page *p, uint64_t off, uint64_t len, unsigned char *dst)
{
	if (!p)
		memset(dst, 0, len);
	else if (!p->data)
		memset(dst, p->fill, len);
	else
		memcpy(dst, p->data + off, len);
}

static void page_materialize(struct spec_page *p)
{
	if (p->data)
		return;
	p->data = xmalloc(SPEC_PAGE_SIZE);
	memset(p->data, p->fill, SPEC_PAGE_SIZE);
}

void spec_page_store(struct spec_page *p, uint64_t off, const struct scn_data *d, uint64_t doff,
		     uint64_t len)
{
	if (d->kind == SCN_DATA_FILL) {
		if (off == 0 && len == SPEC_PAGE_SIZE) {
			free(p->data);
			p->data = NULL;
			p->fill = d->fill;
			return;
		}
		if (!p->data && p->fill == d->fill)
			return;
		page_materialize(p);
		memset(p->data + off, d->fill, len);
		return;
	}
	page_materialize(p);
	memcpy(p->data + off, d->bytes + doff, len);
}

void spec_page_zero(struct spec_page *p, uint64_t off, uint64_t len)
{
	struct scn_data zero = { .kind = SCN_DATA_FILL, .fill = 0, .len = len };

	if (len)
		spec_page_store(p, off, &zero, 0, len);
}
