/*
 * explore/lock.c - lock classes, held-lock bookkeeping, documented-order
 * checking; in run mode a contended lock is a self-deadlock.
 */
#include <stdio.h>
#include <string.h>

#include "explore/lock.h"
#include "explore/violation.h"
#include "lib/util.h"

/* Ranks follow the documented order at the top of mm/rmap.c. */
const struct ex_lock_class ex_class_i_rwsem = { "i_rwsem", 1 };
const struct ex_lock_class ex_class_mmap_lock = { "mmap_lock", 2 };
const struct ex_lock_class ex_class_invalidate_lock = { "invalidate_lock", 3 };
const struct ex_lock_class ex_class_folio_lock = { "folio_lock", 4 };
const struct ex_lock_class ex_class_i_mmap_rwsem = { "i_mmap_rwsem", 5 };
const struct ex_lock_class ex_class_anon_vma = { "anon_vma->rwsem", 6 };
const struct ex_lock_class ex_class_ptl = { "page_table_lock", 7 };
const struct ex_lock_class ex_class_swap_lock = { "swap_lock", 8 };
const struct ex_lock_class ex_class_i_pages = { "i_pages", 9 };
const struct ex_lock_class ex_class_lru_lock = { "lru_lock", 10 };

const struct ex_lock_class *const ex_lock_order[] = {
	&ex_class_i_rwsem,
	&ex_class_mmap_lock,
	&ex_class_invalidate_lock,
	&ex_class_folio_lock,
	&ex_class_i_mmap_rwsem,
	&ex_class_anon_vma,
	&ex_class_ptl,
	&ex_class_swap_lock,
	&ex_class_i_pages,
	&ex_class_lru_lock,
	NULL,
};

struct ex_thread *ex_current;
const struct ex_hooks *ex_hooks;

static struct ex_thread ex_orphan = { .id = -1, .name = "(no thread)" };

static struct ex_thread *me(void)
{
	return ex_current ? ex_current : &ex_orphan;
}

void ex_thread_init(struct ex_thread *t, int id, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->name = name;
}

void ex_set_current(struct ex_thread *t)
{
	ex_current = t;
}

static char *held_dump(const struct ex_thread *t)
{
	struct sbuf sb;

	sbuf_init(&sb);
	sbuf_printf(&sb, "locks held by %s:\n", t->name);
	for (int i = 0; i < t->nr_held; i++)
		sbuf_printf(&sb, "  #%d %s (%s%s%s) taken in %s\n", i, t->held[i].class->name,
			    t->held[i].mode == EX_SHARED ? "read" : "write",
			    t->held[i].subclass ? ", nested" : "",
			    t->held[i].trylock ? ", trylock" : "", t->held[i].fn);
	return sbuf_detach(&sb);
}

void ex_thread_check_clean(struct ex_thread *t)
{
	if (t->nr_held)
		ex_fatal(EX_BUG, held_dump(t), NULL,
			 "%s still holds %d lock(s) (first: %s taken in %s) at the end of a statement",
			 t->name, t->nr_held, t->held[0].class->name, t->held[0].fn);
}

void ex_thread_forget_locks(struct ex_thread *t)
{
	t->nr_held = 0;
}

static struct ex_held *find_held(struct ex_thread *t, const void *lock)
{
	for (int i = t->nr_held - 1; i >= 0; i--)
		if (t->held[i].lock == lock)
			return &t->held[i];
	return NULL;
}

bool ex_lock_held_by_me(const void *lock, int mode)
{
	struct ex_held *h = find_held(me(), lock);

	return h && (mode < 0 || (int)h->mode == mode);
}

/*
 * Check a blocking acquire of @class against every lock the thread holds:
 * a held lock of a later rank, or of the same class without a nesting
 * annotation, is an inversion of the documented order.
 */
static void check_order(const struct ex_lock_class *class, int subclass, const char *fn)
{
	struct ex_thread *t = me();

	for (int i = 0; i < t->nr_held; i++) {
		const struct ex_held *h = &t->held[i];

		if (h->class->rank > class->rank)
			ex_fatal(EX_LOCK_ORDER, held_dump(t), NULL,
				 "%s takes %s while holding %s (taken in %s): documented order is %s before %s",
				 fn, class->name, h->class->name, h->fn, class->name, h->class->name);
		if (h->class == class && subclass <= h->subclass)
			ex_fatal(EX_LOCK_ORDER, held_dump(t), NULL,
				 "%s takes a second %s while holding one (taken in %s) without a nesting annotation",
				 fn, class->name, h->fn);
	}
}

static void push_held(const void *lock, const struct ex_lock_class *class, enum ex_lock_mode mode,
		      int subclass, bool trylock, const char *fn)
{
	struct ex_thread *t = me();
	struct ex_held *h;

	if (t->nr_held >= EX_MAX_HELD)
		ex_fatal(EX_BUG, held_dump(t), NULL, "%s: more than %d locks held", fn, EX_MAX_HELD);
	h = &t->held[t->nr_held++];
	h->lock = lock;
	h->class = class;
	h->mode = mode;
	h->subclass = subclass;
	h->trylock = trylock;
	h->fn = fn;
}

static void pop_held(const void *lock, const struct ex_lock_class *class, const char *fn)
{
	struct ex_thread *t = me();

	for (int i = t->nr_held - 1; i >= 0; i--) {
		if (t->held[i].lock != lock)
			continue;
		memmove(&t->held[i], &t->held[i + 1], (size_t)(t->nr_held - i - 1) * sizeof(t->held[0]));
		t->nr_held--;
		return;
	}
	ex_fatal(EX_BUG, held_dump(t), NULL, "%s releases %s that %s does not hold", fn, class->name,
		 t->name);
}

static void point(enum ex_event ev, const struct ex_lock_class *class, const void *lock,
		  const char *what)
{
	if (ex_hooks && ex_hooks->point)
		ex_hooks->point(ev, class, lock, what);
}

/* The lock is not available: block (explorer) or report the deadlock. */
static void contended(const struct ex_lock_class *class, const void *lock, enum ex_lock_mode mode,
		      const char *fn)
{
	struct ex_thread *t = me();
	struct ex_held *h = find_held(t, lock);

	if (h)
		ex_fatal(EX_DEADLOCK, held_dump(t), NULL,
			 "%s: %s takes %s for %s while already holding it (taken in %s)", t->name, fn,
			 class->name, mode == EX_SHARED ? "read" : "write", h->fn);
	if (ex_hooks && ex_hooks->block) {
		ex_hooks->block(class, lock, mode, fn);
		return;
	}
	ex_fatal(EX_DEADLOCK, held_dump(t), NULL,
		 "%s: %s waits for %s held by another thread, and no other thread can run",
		 t->name, fn, class->name);
}

void ex_lock_init(struct ex_lock *l, const struct ex_lock_class *class)
{
	l->class = class;
	l->owner = NULL;
	l->readers = 0;
}

static bool can_take(const struct ex_lock *l, enum ex_lock_mode mode)
{
	if (l->owner)
		return false;
	return mode == EX_SHARED || l->readers == 0;
}

static void take(struct ex_lock *l, enum ex_lock_mode mode)
{
	if (mode == EX_SHARED)
		l->readers++;
	else
		l->owner = me();
}

void ex_lock_acquire(struct ex_lock *l, enum ex_lock_mode mode, int subclass, const char *fn)
{
	if (find_held(me(), l))	/* recursion: a deadlock, whatever the order says */
		contended(l->class, l, mode, fn);
	check_order(l->class, subclass, fn);
	point(EX_EV_ACQUIRE, l->class, l, fn);
	while (!can_take(l, mode))
		contended(l->class, l, mode, fn);
	take(l, mode);
	push_held(l, l->class, mode, subclass, false, fn);
}

bool ex_lock_tryacquire(struct ex_lock *l, enum ex_lock_mode mode, const char *fn)
{
	point(EX_EV_ACQUIRE, l->class, l, fn);
	if (find_held(me(), l) || !can_take(l, mode))
		return false;
	take(l, mode);
	push_held(l, l->class, mode, 0, true, fn);
	return true;
}

void ex_lock_release(struct ex_lock *l, enum ex_lock_mode mode, const char *fn)
{
	struct ex_held *h = find_held(me(), l);

	if (!h || h->mode != mode)
		ex_fatal(EX_BUG, held_dump(me()), NULL, "%s releases %s for %s, but holds it %s", fn,
			 l->class->name, mode == EX_SHARED ? "read" : "write",
			 !h ? "not at all" : h->mode == EX_SHARED ? "for read" : "for write");
	pop_held(l, l->class, fn);
	if (mode == EX_SHARED)
		l->readers--;
	else
		l->owner = NULL;
	point(EX_EV_RELEASE, l->class, l, fn);
}

void ex_lock_downgrade(struct ex_lock *l, const char *fn)
{
	struct ex_held *h = find_held(me(), l);

	if (!h || h->mode != EX_EXCL)
		ex_fatal(EX_BUG, held_dump(me()), NULL, "%s downgrades %s not held for write", fn,
			 l->class->name);
	h->mode = EX_SHARED;
	l->owner = NULL;
	l->readers++;
	point(EX_EV_DOWNGRADE, l->class, l, fn);
}

void ex_bit_lock(unsigned long *word, int bit, const struct ex_lock_class *class, int subclass,
		 const char *fn)
{
	unsigned long mask = 1UL << bit;

	if (find_held(me(), word))
		contended(class, word, EX_EXCL, fn);
	check_order(class, subclass, fn);
	point(EX_EV_ACQUIRE, class, word, fn);
	while (*word & mask)
		contended(class, word, EX_EXCL, fn);
	*word |= mask;
	push_held(word, class, EX_EXCL, subclass, false, fn);
}

bool ex_bit_trylock(unsigned long *word, int bit, const struct ex_lock_class *class,
		    const char *fn)
{
	unsigned long mask = 1UL << bit;

	point(EX_EV_ACQUIRE, class, word, fn);
	if (*word & mask)
		return false;
	*word |= mask;
	push_held(word, class, EX_EXCL, 0, true, fn);
	return true;
}

void ex_bit_unlock(unsigned long *word, int bit, const struct ex_lock_class *class, const char *fn)
{
	unsigned long mask = 1UL << bit;

	if (!(*word & mask))
		ex_fatal(EX_BUG, NULL, NULL, "%s unlocks %s that is not locked", fn, class->name);
	pop_held(word, class, fn);
	*word &= ~mask;
	point(EX_EV_RELEASE, class, word, fn);
}

void ex_bit_wait(unsigned long *word, int bit, const struct ex_lock_class *class, const char *fn)
{
	unsigned long mask = 1UL << bit;

	point(EX_EV_WAIT, class, word, fn);
	while (*word & mask)
		contended(class, word, EX_SHARED, fn);
}

void ex_sched_point(const char *name)
{
	point(EX_EV_POINT, NULL, NULL, name);
}

void ex_cond_resched(const char *fn)
{
	point(EX_EV_POINT, NULL, NULL, fn);
}
