/*
 * explore/lock.c - lock classes, held-lock bookkeeping, documented-order
 * checking; in run mode a contended lock is a self-deadlock.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "explore/lock.h"
#include "explore/lock_internal.h"
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

_Thread_local struct ex_thread *ex_current;
const struct ex_hooks *ex_hooks;
bool ex_points_atomics;

struct ex_thread *const *ex_all_threads;
int ex_nr_all_threads;
static unsigned long next_ticket;

/* Held locks per class, by registry index (see class_index()). */
#define MAX_CLASSES 32
static const struct ex_lock_class *classes[MAX_CLASSES];
static int nr_classes;
static int held_per_class[MAX_CLASSES];

/* Observed dependencies: node = class index * 2 + (nested ? 1 : 0). */
#define MAX_NODES (MAX_CLASSES * 2)
struct dep {
	bool seen;
	const char *fn;			/* where it was first taken in this order */
	const char *thread;
};
static struct dep deps[MAX_NODES][MAX_NODES];

const char *ex_event_name(enum ex_event ev)
{
	static const char *const names[EX_NR_EVENTS] = {
		[EX_EV_ACQUIRE] = "acquire", [EX_EV_RELEASE] = "release",
		[EX_EV_POINT] = "point", [EX_EV_WAIT] = "wait",
		[EX_EV_DOWNGRADE] = "downgrade", [EX_EV_ATOMIC] = "atomic",
		[EX_EV_STMT] = "statement", [EX_EV_BLOCK] = "blocked",
		[EX_EV_DONE] = "done",
	};
	return (unsigned)ev < EX_NR_EVENTS ? names[ev] : "?";
}

/*
 * A direct-mapped cache in front of the search (every acquire asks, for
 * each lock held).  It only finds what the search would: the indexes are
 * still handed out in first-use order, whatever the addresses.
 */
#define CLASS_CACHE 64
static const struct ex_lock_class *class_cache_key[CLASS_CACHE];
static int class_cache_index[CLASS_CACHE];

static int class_index(const struct ex_lock_class *c)
{
	unsigned slot = (unsigned)((uintptr_t)c >> 4) % CLASS_CACHE;

	if (class_cache_key[slot] == c)
		return class_cache_index[slot];
	for (int i = 0; i < nr_classes; i++)
		if (classes[i] == c) {
			class_cache_key[slot] = c;
			class_cache_index[slot] = i;
			return i;
		}
	if (nr_classes == MAX_CLASSES)
		ex_fatal(EX_BUG, NULL, NULL, "more than %d lock classes", MAX_CLASSES);
	classes[nr_classes] = c;
	class_cache_key[slot] = c;
	class_cache_index[slot] = nr_classes;
	return nr_classes++;
}

void ex_lock_set_threads(struct ex_thread *const *threads, int n)
{
	ex_all_threads = threads;
	ex_nr_all_threads = n;
}

void ex_lockdep_reset(void)
{
	BK_GUARD();
	memset(deps, 0, sizeof(deps));
	memset(held_per_class, 0, sizeof(held_per_class));
	memset(class_cache_key, 0, sizeof(class_cache_key));
	nr_classes = 0;
	next_ticket = 0;
}

int ex_class_held_count(const struct ex_lock_class *class)
{
	BK_GUARD();
	for (int i = 0; i < nr_classes; i++)
		if (classes[i] == class)
			return held_per_class[i];
	return 0;
}

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

char *ex_held_dump(const struct ex_thread *t)
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
	BK_GUARD();
	if (t->nr_held)
		ex_fatal(EX_BUG, ex_held_dump(t), NULL,
			 "%s still holds %d lock(s) (first: %s taken in %s) at the end of a statement",
			 t->name, t->nr_held, t->held[0].class->name, t->held[0].fn);
}

void ex_thread_forget_locks(struct ex_thread *t)
{
	BK_GUARD();
	for (int i = 0; i < t->nr_held; i++)
		held_per_class[class_index(t->held[i].class)]--;
	t->nr_held = 0;
	t->wait_lock = NULL;
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
	BK_GUARD();
	struct ex_held *h = find_held(me(), lock);

	return h && (mode < 0 || (int)h->mode == mode);
}

bool ex_lock_held_by_thread(struct ex_thread *t, const void *lock)
{
	BK_GUARD();
	return find_held(t, lock) != NULL;
}

int ex_lock_holders(const void *lock, struct ex_thread **out, int max)
{
	BK_GUARD();
	int n = 0;

	for (int i = 0; i < ex_nr_all_threads; i++)
		if (find_held(ex_all_threads[i], lock) && n < max)
			out[n++] = ex_all_threads[i];
	return n;
}

static int dep_node(const struct ex_lock_class *class, int subclass)
{
	return class_index(class) * 2 + (subclass ? 1 : 0);
}

static const char *node_name(int node, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", classes[node / 2]->name, node & 1 ? " (nested)" : "");
	return buf;
}

/* Is there a chain of observed dependencies from @from to @to? */
static bool dep_reaches(int from, int to, unsigned char *seen)
{
	if (from == to)
		return true;
	seen[from] = 1;
	for (int n = 0; n < nr_classes * 2; n++)
		if (deps[from][n].seen && !seen[n] && dep_reaches(n, to, seen))
			return true;
	return false;
}

/*
 * Check a blocking acquire of @class against every lock the thread holds:
 * a held lock of a later rank, or of the same class without a nesting
 * annotation, is an inversion of the documented order; a dependency whose
 * reverse was observed earlier in this run is an inversion of the observed
 * order (lockdep).  Classes of rank 0 have no documented place and are
 * checked against the observed order only.
 */
bool ex_lockdep = true;

static void check_order(const struct ex_lock_class *class, int subclass, const char *fn)
{
	struct ex_thread *t = me();
	int to;

	if (!ex_lockdep)
		return;
	to = dep_node(class, subclass);
	for (int i = 0; i < t->nr_held; i++) {
		const struct ex_held *h = &t->held[i];
		int from = dep_node(h->class, h->subclass);

		if (h->class->rank && class->rank && h->class->rank > class->rank)
			ex_fatal(EX_LOCK_ORDER, ex_held_dump(t), NULL,
				 "%s takes %s while holding %s (taken in %s): documented order is %s before %s",
				 fn, class->name, h->class->name, h->fn, class->name, h->class->name);
		if (h->class == class && subclass <= h->subclass)
			ex_fatal(EX_LOCK_ORDER, ex_held_dump(t), NULL,
				 "%s takes a second %s while holding one (taken in %s) without a nesting annotation",
				 fn, class->name, h->fn);
		if (from == to || deps[from][to].seen)
			continue;	/* the common case: an order this run has seen */
		unsigned char seen[MAX_NODES] = { 0 };
		char a[64], b[64];

		if (dep_reaches(to, from, seen)) {
			const struct dep *d = &deps[to][from];
			char how[160];

			if (d->seen)
				snprintf(how, sizeof(how), "%s in %s", d->thread, d->fn);
			else
				snprintf(how, sizeof(how), "through other locks");
			node_name(to, a, sizeof(a));
			node_name(from, b, sizeof(b));
			ex_fatal(EX_LOCK_ORDER, ex_held_dump(t), NULL,
				 "%s: %s takes %s while holding %s (taken in %s), but earlier in this run %s was taken before %s (%s)",
				 t->name, fn, a, b, h->fn, a, b, how);
		}
		deps[from][to] = (struct dep){ true, fn, t->name };
	}
}

static void push_held_on(struct ex_thread *t, const void *lock, const struct ex_lock_class *class,
			 enum ex_lock_mode mode, int subclass, bool trylock, const char *fn)
{
	struct ex_held *h;

	if (t->nr_held >= EX_MAX_HELD)
		ex_fatal(EX_BUG, ex_held_dump(t), NULL, "%s: more than %d locks held", fn, EX_MAX_HELD);
	h = &t->held[t->nr_held++];
	h->lock = lock;
	h->class = class;
	h->mode = mode;
	h->subclass = subclass;
	h->trylock = trylock;
	h->fn = fn;
	held_per_class[class_index(class)]++;
}

static void push_held(const void *lock, const struct ex_lock_class *class, enum ex_lock_mode mode,
		      int subclass, bool trylock, const char *fn)
{
	push_held_on(me(), lock, class, mode, subclass, trylock, fn);
	ex_bk_note_acquire(lock);
}

static void pop_held(const void *lock, const struct ex_lock_class *class, const char *fn)
{
	struct ex_thread *t = me();

	for (int i = t->nr_held - 1; i >= 0; i--) {
		if (t->held[i].lock != lock)
			continue;
		memmove(&t->held[i], &t->held[i + 1], (size_t)(t->nr_held - i - 1) * sizeof(t->held[0]));
		t->nr_held--;
		held_per_class[class_index(class)]--;
		return;
	}
	ex_fatal(EX_BUG, ex_held_dump(t), NULL, "%s releases %s that %s does not hold", fn, class->name,
		 t->name);
}

static void point(enum ex_event ev, const struct ex_lock_class *class, const void *lock,
		  const char *what)
{
	if (ex_hooks && ex_hooks->point)
		ex_hooks->point(ev, class, lock, what);
}

/*
 * The word of a bit lock also holds other bits (folio->flags) that the
 * model sets and clears with atomic bit operations outside this layer, as
 * the kernel's test_and_set_bit_lock / clear_bit_unlock share the word
 * with set_bit.  So the read-modify-writes here are the same kind as the
 * model's bitops (vm_atomic_* in mm/locking.h): a locked host instruction
 * when model threads run on host threads (the pthread backend), a plain
 * one when one host thread runs them all.
 */
static inline unsigned long word_load(const unsigned long *word)
{
	return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

static inline void word_or(unsigned long *word, unsigned long mask)
{
	if (ex_lock_pthreads_on)
		__atomic_fetch_or(word, mask, __ATOMIC_ACQ_REL);
	else
		*word |= mask;
}

static inline void word_andnot(unsigned long *word, unsigned long mask)
{
	if (ex_lock_pthreads_on)
		__atomic_fetch_and(word, ~mask, __ATOMIC_RELEASE);
	else
		*word &= ~mask;
}

/* ------------------------------------------------------------------ */
/* waiters: FIFO per lock, by ticket */

static struct ex_thread *first_waiter(const void *lock)
{
	struct ex_thread *first = NULL;

	for (int i = 0; i < ex_nr_all_threads; i++) {
		struct ex_thread *t = ex_all_threads[i];

		if (t->wait_lock == lock && !t->wait_only &&
		    (!first || t->wait_ticket < first->wait_ticket))
			first = t;
	}
	return first;
}

/* The lock is handed to @t, which was sleeping on it. */
static void grant(struct ex_thread *t)
{
	push_held_on(t, t->wait_lock, t->wait_class, t->wait_mode, t->wait_subclass, false,
		     t->wait_fn);
	t->wait_lock = NULL;
}

/* After a release or downgrade of @l: hand it to the waiters at the head. */
static void wake_rwsem(struct ex_lock *l)
{
	struct ex_thread *t;

	while ((t = first_waiter(l))) {
		if (t->wait_mode == EX_EXCL) {
			if (l->owner || l->readers)
				return;
			l->owner = t;
			grant(t);
			return;
		}
		if (l->owner)
			return;
		l->readers++;
		grant(t);
	}
}

/* After a bit lock was cleared: waiters without the lock go, the first locker takes it. */
static void wake_bit(unsigned long *word, unsigned long mask)
{
	struct ex_thread *t;

	for (int i = 0; i < ex_nr_all_threads; i++)
		if (ex_all_threads[i]->wait_lock == word && ex_all_threads[i]->wait_only)
			ex_all_threads[i]->wait_lock = NULL;
	t = first_waiter(word);
	if (t && !(word_load(word) & mask)) {
		word_or(word, mask);
		grant(t);
	}
}

/*
 * The lock is not available: sleep on it until a release hands it over
 * (explorer), or report the deadlock (run mode, where no other thread can
 * ever release it).
 */
static void contended(const struct ex_lock_class *class, const void *lock, enum ex_lock_mode mode,
		      int subclass, unsigned long mask, bool wait_only, const char *fn)
{
	struct ex_thread *t = me();
	struct ex_held *h = find_held(t, lock);

	if (h)
		ex_fatal(EX_DEADLOCK, ex_held_dump(t), NULL,
			 "%s: %s takes %s for %s while already holding it (taken in %s)", t->name, fn,
			 class->name, mode == EX_SHARED ? "read" : "write", h->fn);
	if (!ex_lock_pthreads_on && (!ex_hooks || !ex_hooks->block))
		ex_fatal(EX_DEADLOCK, ex_held_dump(t), NULL,
			 "%s: %s waits for %s held by another thread, and no other thread can run",
			 t->name, fn, class->name);
	t->wait_lock = lock;
	t->wait_class = class;
	t->wait_mode = mode;
	t->wait_subclass = subclass;
	t->wait_only = wait_only;
	t->wait_mask = mask;
	t->wait_ticket = ++next_ticket;
	t->wait_fn = fn;
	if (ex_bk_contended(t, class, mode, fn))
		return;		/* pthread backend: granted (or left the model) */
	ex_hooks->block(class, lock, mode, fn);
	if (t->wait_lock)
		ex_fatal(EX_BUG, NULL, NULL, "%s: resumed while still waiting for %s", t->name,
			 class->name);
}

/*
 * Does the current thread hold @l?  The held list is searched only when
 * the lock's own state allows it: held for write by another, or not held
 * at all, answers at once (a batch of 31 folio locks makes the list long).
 */
static bool lock_held_by_me(const struct ex_lock *l)
{
	if (l->owner)
		return l->owner == me();
	return l->readers && find_held(me(), l);
}

static bool bit_held_by_me(const unsigned long *word, unsigned long mask)
{
	return (word_load(word) & mask) && find_held(me(), word);
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
	BK_GUARD();
	if (lock_held_by_me(l))	/* recursion: a deadlock, whatever the order says */
		contended(l->class, l, mode, subclass, 0, false, fn);
	check_order(l->class, subclass, fn);
	point(EX_EV_ACQUIRE, l->class, l, fn);
	if (can_take(l, mode) && !first_waiter(l)) {
		take(l, mode);
		push_held(l, l->class, mode, subclass, false, fn);
		return;
	}
	contended(l->class, l, mode, subclass, 0, false, fn);	/* granted on return */
}

bool ex_lock_tryacquire(struct ex_lock *l, enum ex_lock_mode mode, const char *fn)
{
	BK_GUARD();
	point(EX_EV_ACQUIRE, l->class, l, fn);
	if (!can_take(l, mode) || lock_held_by_me(l) || first_waiter(l))
		return false;
	take(l, mode);
	push_held(l, l->class, mode, 0, true, fn);
	return true;
}

void ex_lock_release(struct ex_lock *l, enum ex_lock_mode mode, const char *fn)
{
	BK_GUARD_RELEASE(l);
	struct ex_held *h = find_held(me(), l);

	if (!h || h->mode != mode)
		ex_fatal(EX_BUG, ex_held_dump(me()), NULL, "%s releases %s for %s, but holds it %s", fn,
			 l->class->name, mode == EX_SHARED ? "read" : "write",
			 !h ? "not at all" : h->mode == EX_SHARED ? "for read" : "for write");
	pop_held(l, l->class, fn);
	if (mode == EX_SHARED)
		l->readers--;
	else
		l->owner = NULL;
	wake_rwsem(l);
	point(EX_EV_RELEASE, l->class, l, fn);
}

void ex_lock_downgrade(struct ex_lock *l, const char *fn)
{
	BK_GUARD_RELEASE(l);
	struct ex_held *h = find_held(me(), l);

	if (!h || h->mode != EX_EXCL)
		ex_fatal(EX_BUG, ex_held_dump(me()), NULL, "%s downgrades %s not held for write", fn,
			 l->class->name);
	h->mode = EX_SHARED;
	l->owner = NULL;
	l->readers++;
	wake_rwsem(l);
	point(EX_EV_DOWNGRADE, l->class, l, fn);
}

void ex_bit_lock(unsigned long *word, int bit, const struct ex_lock_class *class, int subclass,
		 const char *fn)
{
	BK_GUARD();
	unsigned long mask = 1UL << bit;

	if (bit_held_by_me(word, mask))
		contended(class, word, EX_EXCL, subclass, mask, false, fn);
	check_order(class, subclass, fn);
	point(EX_EV_ACQUIRE, class, word, fn);
	if (!(word_load(word) & mask) && !first_waiter(word)) {
		word_or(word, mask);
		push_held(word, class, EX_EXCL, subclass, false, fn);
		return;
	}
	contended(class, word, EX_EXCL, subclass, mask, false, fn);	/* granted on return */
}

bool ex_bit_trylock(unsigned long *word, int bit, const struct ex_lock_class *class,
		    const char *fn)
{
	BK_GUARD();
	unsigned long mask = 1UL << bit;

	point(EX_EV_ACQUIRE, class, word, fn);
	if ((word_load(word) & mask) || first_waiter(word))
		return false;
	word_or(word, mask);
	push_held(word, class, EX_EXCL, 0, true, fn);
	return true;
}

void ex_bit_unlock(unsigned long *word, int bit, const struct ex_lock_class *class, const char *fn)
{
	BK_GUARD_RELEASE(word);
	unsigned long mask = 1UL << bit;

	if (!(word_load(word) & mask))
		ex_fatal(EX_BUG, NULL, NULL, "%s unlocks %s that is not locked", fn, class->name);
	pop_held(word, class, fn);
	word_andnot(word, mask);
	wake_bit(word, mask);
	point(EX_EV_RELEASE, class, word, fn);
}

void ex_bit_wait(unsigned long *word, int bit, const struct ex_lock_class *class, const char *fn)
{
	BK_GUARD();
	unsigned long mask = 1UL << bit;

	point(EX_EV_WAIT, class, word, fn);
	if (word_load(word) & mask)
		contended(class, word, EX_SHARED, 0, mask, true, fn);
}

void ex_sched_point(const char *name)
{
	point(EX_EV_POINT, NULL, NULL, name);
}

void ex_stmt_point(const char *text)
{
	point(EX_EV_STMT, NULL, NULL, text);
}

void ex_cond_resched(const char *fn)
{
	point(EX_EV_POINT, NULL, NULL, fn);
}

struct ex_trace_ctx ex_trace_ctx_set(const char *fn, unsigned long addr)
{
	struct ex_thread *t = ex_current;
	struct ex_trace_ctx prev = { NULL, 0 };

	if (t) {
		prev = (struct ex_trace_ctx){ t->ctx_fn, t->ctx_addr };
		t->ctx_fn = fn;
		t->ctx_addr = addr;
	}
	return prev;
}

void ex_trace_ctx_restore(struct ex_trace_ctx prev)
{
	if (ex_current) {
		ex_current->ctx_fn = prev.fn;
		ex_current->ctx_addr = prev.addr;
	}
}

void ex_atomic_point(const char *what)
{
	if (ex_points_atomics)
		point(EX_EV_ATOMIC, NULL, NULL, what);
}
