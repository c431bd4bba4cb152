/*
 * explore/lock_internal.h - what the lock layer (lock.c) shares with its
 * pthread backend (lock_pthread.c).  Not for other users.
 */
#ifndef RMAPLAB_EXPLORE_LOCK_INTERNAL_H
#define RMAPLAB_EXPLORE_LOCK_INTERNAL_H

#include "explore/lock.h"

/* The threads ex_lock_set_threads() registered. */
extern struct ex_thread *const *ex_all_threads;
extern int ex_nr_all_threads;

/* "locks held by T: ..." for a violation's dump (malloc'd). */
char *ex_held_dump(const struct ex_thread *t);

/*
 * The pthread backend (lock_pthread.c): BK_GUARD() at the top
 * of a public function runs the rest of it under the backend's mutex when
 * the backend is on, and does nothing otherwise.
 */
struct bk_guard {
	bool on;
};
struct bk_guard ex_bk_enter(void);
struct bk_guard ex_bk_enter_release(const void *lock);
void ex_bk_leave(struct bk_guard *g);
void ex_bk_note_acquire(const void *lock);
bool ex_bk_contended(struct ex_thread *t, const struct ex_lock_class *class,
		     enum ex_lock_mode mode, const char *fn);
#define BK_GUARD() struct bk_guard bk_guard_ __attribute__((cleanup(ex_bk_leave))) = ex_bk_enter()
/* ...for a function that releases @lock (ThreadSanitizer learns of the release first) */
#define BK_GUARD_RELEASE(lock) \
	struct bk_guard bk_guard_ __attribute__((cleanup(ex_bk_leave))) = ex_bk_enter_release(lock)

#endif /* RMAPLAB_EXPLORE_LOCK_INTERNAL_H */
