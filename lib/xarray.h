/*
 * lib/xarray.h - a sparse map from 64-bit index to pointer (a small
 * stand-in for the kernel's XArray, written fresh): the page cache of
 * each file, keyed by page index.
 *
 * A 64-ary radix tree whose height grows and shrinks with the largest
 * index stored.  Node memory comes from a caller-supplied allocator which
 * may fail: xa_store() then returns -ENOMEM and leaves the array as it
 * was.  Behaviour is deterministic: nothing depends on pointer values.
 * Entries are opaque non-NULL pointers (any bit pattern).
 */
#ifndef RMAPLAB_LIB_XARRAY_H
#define RMAPLAB_LIB_XARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xarray {
	void *head;			/* internal: the top node, or NULL when empty */
	unsigned int shift;		/* internal: index bits below the top node's slots */
	unsigned long count;		/* entries stored */
	void *(*alloc)(void *ctx, size_t size);	/* node allocator: may return NULL */
	void (*free)(void *ctx, void *ptr);
	void *ctx;
};

/* @alloc and @free may be NULL: then malloc/free are used. */
void xa_init(struct xarray *xa, void *(*alloc)(void *, size_t), void (*free)(void *, void *),
	     void *ctx);

void *xa_load(const struct xarray *xa, uint64_t index);

/*
 * Store @entry (non-NULL) at @index, replacing any entry there.  Returns 0,
 * -ENOMEM when a node allocation failed (the array is unchanged), or
 * -EINVAL when @entry is NULL.
 */
int xa_store(struct xarray *xa, uint64_t index, void *entry);

/* Remove the entry at @index; returns it, or NULL if there was none. */
void *xa_erase(struct xarray *xa, uint64_t index);

/*
 * The first entry at an index i with *index <= i <= max; sets *index = i.
 * Returns NULL (and leaves *index alone) if there is none.
 */
void *xa_find(const struct xarray *xa, uint64_t *index, uint64_t max);

/*
 * Like xa_find(), but strictly after *index (addition to the brief's API,
 * for iteration).  NULL when *index >= max.
 */
void *xa_find_after(const struct xarray *xa, uint64_t *index, uint64_t max);

bool xa_empty(const struct xarray *xa);

/* Free every node (not the entries); the array is empty and reusable. */
void xa_destroy(struct xarray *xa);

/*
 * Visit every entry in ascending index order.  Each step is a fresh
 * lookup after the current index, so erasing the current entry (or any
 * other) during the walk is safe.
 */
#define xa_for_each(xa, index, entry)					\
	for ((index) = 0, (entry) = xa_find((xa), &(index), UINT64_MAX);	\
	     (entry);								\
	     (entry) = xa_find_after((xa), &(index), UINT64_MAX))

#endif /* RMAPLAB_LIB_XARRAY_H */
