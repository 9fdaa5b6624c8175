/* SPDX-License-Identifier: MIT */
/*
 * core/cmd_record: `pftrace record`.  Validates everything that can be
 * validated before creating the output, then opens the events, writes the
 * header packets, releases the command (if any) and drains the rings until
 * the duration ends, the target exits, a signal arrives or the disk fills.
 */
#include "config.h"
#include "core/cmds.h"
#include "core/options.h"
#include "core/output.h"
#include "core/session.h"
#include "core/target.h"
#include "core/tracefs.h"
#include "core/util.h"
#include "perfmmap/perfmmap.h"
#include "proto/writer.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define TICK_MS 200 /* housekeeping period: target liveness, /proc reads */
/* --rt: back to SCHED_OTHER after this long without a busy drain */
#define RT_CALM_NS 1000000000ULL

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t got_sigchld;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void on_sigchld(int sig)
{
	(void)sig;
	got_sigchld = 1;
}

/* CapEff bit test from /proc/self/status. */
static int has_cap(int cap)
{
	char buf[4096], *p;
	unsigned long long caps;

	if (pft_read_file("/proc/self/status", buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, "CapEff:");
	if (!p || sscanf(p + 7, "%llx", &caps) != 1)
		return 0;
	return (caps >> cap) & 1;
}

static int check_privileges(void)
{
	char buf[32];
	long paranoid = 2;

	if (geteuid() == 0 || has_cap(38 /* CAP_PERFMON */) || has_cap(21 /* CAP_SYS_ADMIN */))
		return 0;
	if (pft_read_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) > 0)
		pft_parse_long(strtok(buf, "\n"), &paranoid);
	if (paranoid <= -1)
		return 0; /* allowed; tracefs permissions decide the rest */
	pft_error("recording needs root or CAP_PERFMON: kernel.perf_event_paranoid is %ld, which "
		  "keeps unprivileged users from system-wide tracepoints",
		  paranoid);
	pft_hint("run it with sudo, give the binary CAP_PERFMON (setcap cap_perfmon+ep), or "
		 "sysctl kernel.perf_event_paranoid=-1 (and make tracefs readable)");
	return -EPERM;
}

static void install_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Signals are only delivered inside ppoll(), so no wakeup is lost
	 * between checking the flags and going to sleep. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGHUP);
	sigdelset(waitmask, SIGCHLD);
}

enum stop_reason {
	STOP_NONE,
	STOP_DURATION,
	STOP_SIGNAL,
	STOP_TARGET,
	STOP_WRITE_ERROR,
	STOP_WAIT_ERROR,
	STOP_MAX_SIZE
};

/* One `pftrace record`, from the options to the summary. */
struct record {
	struct record_opts o;
	struct target t;
	struct output out;
	struct pw_writer *w;
	int owned; /* the writer owns out.fd (even once closed) */
	struct session *s;
	sigset_t waitmask; /* the signals ppoll() lets through */
	enum stop_reason why;
	int wait_err; /* STOP_WAIT_ERROR: -errno of session__wait */
	int started;  /* the trace has its header: keep the file */
	/* --rt: the reader's scheduling class follows the load */
	int rt_ok;		     /* allowed here (root, >= 2 cpus, --rt > 0) */
	int rt_on;		     /* SCHED_FIFO now */
	uint64_t rt_since, rt_calm;  /* when it went on; the last busy drain */
	uint64_t rt_ns, rt_switches; /* time spent and times switched on */
};

static void record_init(struct record *r)
{
	memset(&r->t, 0, sizeof(r->t));
	r->t.go_fd = r->t.err_fd = r->t.st.cgroup_fd = -1;
	r->out.path = NULL;
	r->out.fd = -1;
	r->out.created = 0;
	r->w = NULL;
	r->owned = 0;
	r->s = NULL;
	r->why = STOP_NONE;
	r->wait_err = 0;
	r->started = 0;
	r->rt_ok = r->rt_on = 0;
	r->rt_since = r->rt_calm = r->rt_ns = r->rt_switches = 0;
}

/* Everything that can be checked before the events are opened: the target,
 * tracefs, the output file, the writer, the session and its sources.
 * 0 or -1 (message printed). */
static int record_prepare(struct record *r)
{
	if (target_check(&r->t, &r->o))
		return -1;
	if (!tfs_dir())
		return -1;
	if (output_open(&r->out, r->o.output))
		return -1;
	r->w = pw_writer__new(r->out.fd, pm_cpu_count());
	if (!r->w) {
		pft_error("cannot set up the trace writer: %s", strerror(errno));
		return -1;
	}
	/* the writer owns out.fd now (output_begin still uses it); it writes
	 * nothing before session__start */
	r->owned = 1;
	pw_writer__set_limit(r->w, r->o.max_size);
	r->s = session__new(&r->o, r->w);
	if (!r->s) {
		pft_error("cannot set up the session: %s", strerror(errno));
		return -1;
	}
	if (session__add_sources(r->s))
		return -1;
	return target_prepare(&r->t, &r->o) ? -1 : 0;
}

/* Open the events on the target and commit to the output file.  0 or -1. */
static int record_open(struct record *r)
{
	if (session__open(r->s, &r->t.st))
		return -1;
	/* the command was forked already: only the reader gets the boost */
	if (r->o.nice && geteuid() == 0 && setpriority(PRIO_PROCESS, 0, r->o.nice))
		pft_debug("cannot set nice %d: %s", r->o.nice, strerror(errno));
	r->rt_ok = r->o.rt > 0 && geteuid() == 0 && sysconf(_SC_NPROCESSORS_ONLN) > 1;
	return output_begin(&r->out) ? -1 : 0;
}

/* Write the header packets, enable the events and release the command.
 * 0; -1 when the trace could not be started (record_finish still reports
 * it); 1 when the command never ran (there is nothing to finish). */
static int record_start(struct record *r)
{
	if (session__start(r->s))
		return -1;
	r->started = 1;
	if (target_go(&r->t, &r->o)) {
		r->started = 0; /* nothing of the command ran: no trace */
		return 1;
	}
	if (r->o.cmd)
		pft_info("recording %s (pid %d) into %s; Ctrl-C to stop", r->o.cmd[0],
			 (int)r->t.child, r->o.output);
	else
		pft_info("recording into %s%s", r->o.output,
			 r->o.duration_ns ? "" : "; Ctrl-C to stop");
	return 0;
}

/* Why to stop after this round, or STOP_NONE. */
static enum stop_reason record_check(struct record *r, int wait_ret)
{
	enum stop_reason why = STOP_NONE;

	if (stop_signal) {
		why = STOP_SIGNAL;
	} else if (wait_ret && wait_ret != -EINTR) {
		r->wait_err = wait_ret;
		why = STOP_WAIT_ERROR;
	} else if (r->o.max_size && pw_writer__error(r->w) == -EFBIG) {
		why = STOP_MAX_SIZE;
	} else if (pw_writer__error(r->w)) {
		why = STOP_WRITE_ERROR;
	} else if ((got_sigchld || r->o.npids) && !target_alive(&r->t, &r->o)) {
		why = STOP_TARGET;
	}
	got_sigchld = 0;
	return why;
}

/*
 * --rt: a nice value is a weight, and against hundreds of runnable tasks even
 * nice -20 leaves the reader a fraction of a CPU, less than a saturated
 * machine's event rate needs.  So while a drain finds a ring more than 1/8
 * full, the reader runs as SCHED_FIFO --rt (only when root and with another
 * CPU left for everyone else; the kernel's RT throttling caps it at 95% of
 * its CPU in any case); after RT_CALM_NS without such a drain it drops back
 * to SCHED_OTHER at its nice value.  Idle, it sleeps in ppoll either way.
 * System calls only on the transitions.
 */
static void reader_sched(struct record *r, int busy)
{
	struct sched_param sp;
	uint64_t now;

	if (!r->rt_ok || (!busy && !r->rt_on))
		return;
	now = pft_clock_ns(CLOCK_MONOTONIC);
	if (busy) {
		r->rt_calm = now;
		if (r->rt_on)
			return;
		memset(&sp, 0, sizeof(sp));
		sp.sched_priority = r->o.rt;
		if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp)) {
			pft_debug("cannot switch the reader to SCHED_FIFO %d: %s", r->o.rt,
				  strerror(errno));
			r->rt_ok = 0;
			return;
		}
		r->rt_on = 1;
		r->rt_since = now;
		r->rt_switches++;
	} else if (now - r->rt_calm >= RT_CALM_NS) {
		memset(&sp, 0, sizeof(sp));
		/* the old sched_setscheduler() keeps the nice value */
		if (sched_setscheduler(0, SCHED_OTHER, &sp)) {
			pft_debug("cannot switch the reader back to SCHED_OTHER: %s",
				  strerror(errno));
			r->rt_ok = 0; /* stays FIFO: count it to the end */
			return;
		}
		r->rt_on = 0;
		r->rt_ns += now - r->rt_since;
	}
}

/* Drain the rings until the duration ends, the target exits, a signal
 * arrives, the disk fills or waiting fails. */
static void record_loop(struct record *r)
{
	uint64_t deadline = 0;

	if (r->o.duration_ns)
		deadline = pft_clock_ns(CLOCK_MONOTONIC) + r->o.duration_ns;
	/* start as if busy: the first watermark wakeup may already be too late
	 * on a saturated machine; an idle start drops back after RT_CALM_NS */
	reader_sched(r, 1);
	while (r->why == STOP_NONE) {
		int timeout = TICK_MS, ret;
		uint32_t max_delay = session__max_read_delay(r->s);

		if (max_delay && max_delay < (uint32_t)timeout)
			timeout = (int)max_delay; /* a stack hook reads memory (plugins) */

		if (deadline) {
			uint64_t now = pft_clock_ns(CLOCK_MONOTONIC);

			if (now >= deadline) {
				r->why = STOP_DURATION;
				break;
			}
			if ((deadline - now) / 1000000 < (uint64_t)timeout)
				timeout = (int)((deadline - now + 999999) / 1000000);
		}
		/* while the rings fill fast, keep draining instead of sleeping
		 * until the next watermark wakeup: a wakeup on a busy machine can
		 * come long after the ring started to fill */
		ret = session__wait(r->s, session__busy(r->s) ? 0 : timeout, &r->waitmask);
		session__drain(r->s);
		reader_sched(r, session__busy(r->s));
		r->why = record_check(r, ret);
	}
	if (r->why == STOP_SIGNAL && r->t.child && !r->t.child_exited && stop_signal != SIGINT)
		kill(r->t.child, SIGTERM); /* Ctrl-C reached it through the terminal */
	if (r->why == STOP_DURATION && r->t.child && target_alive(&r->t, &r->o))
		pft_info("%s is still running after -d %g: it gets SIGTERM when the trace is "
			 "written",
			 r->o.cmd[0], (double)r->o.duration_ns / 1e9);
	if (r->why == STOP_MAX_SIZE)
		pft_info("the trace reached --max-size (%llu bytes): recording stopped",
			 (unsigned long long)r->o.max_size);
	if (r->why == STOP_WAIT_ERROR)
		pft_error("waiting for events failed: %s; recording stopped, the trace keeps "
			  "what was read",
			  strerror(-r->wait_err));
}

static void record_report_target(const struct record *r)
{
	if (r->why != STOP_TARGET || pft_quiet)
		return;
	if (!r->t.child) {
		pft_info("the target exited; recording stopped");
	} else if (WIFEXITED(r->t.child_status) && WEXITSTATUS(r->t.child_status)) {
		pft_info("%s exited with status %d", r->o.cmd[0], WEXITSTATUS(r->t.child_status));
	} else if (WIFSIGNALED(r->t.child_status)) {
		pft_info("%s was killed by signal %d", r->o.cmd[0], WTERMSIG(r->t.child_status));
	}
}

/* Stop the events, drain the rest, close the trace and print the summary.
 * Returns the exit status. */
static int record_finish(struct record *r)
{
	struct pw_ring_stats ring;
	uint64_t bytes, dropped;
	int ret, cerr, assembly_err;

	session__stop(r->s);
	record_report_target(r);
	ret = pw_writer__error(r->w);
	pw_writer__finish(r->w); /* with --ring-buffer: the kept parts into the output */
	assembly_err = !ret && r->o.ring_buffer ? pw_writer__error(r->w) : 0;
	ret = pw_writer__error(r->w);
	bytes = pw_writer__bytes(r->w);
	dropped = pw_writer__dropped_events(r->w);
	pw_writer__ring_stats(r->w, &ring);
	cerr = pw_writer__close(r->w);
	r->w = NULL;
	if (!ret)
		ret = cerr;
	if (ret == -EFBIG && r->o.max_size) {
		/* the limit asked for, not a failure */
		if (r->why != STOP_MAX_SIZE)
			pft_info("the trace reached --max-size (%llu bytes)",
				 (unsigned long long)r->o.max_size);
		if (dropped)
			pft_info("%llu events past --max-size were not written",
				 (unsigned long long)dropped);
		ret = 0;
	}
	record_summary(r->s, bytes);
	if (r->o.ring_buffer)
		record_summary_ring(&ring);
	if (r->rt_on)
		r->rt_ns += pft_clock_ns(CLOCK_MONOTONIC) - r->rt_since;
	if (pft_verbose && !pft_quiet && r->rt_ok)
		fprintf(stderr,
			"  reader: SCHED_FIFO %d %llu times while the rings filled, "
			"%.3f s in all\n",
			r->o.rt, (unsigned long long)r->rt_switches, (double)r->rt_ns / 1e9);
	if (assembly_err) {
		pft_error("%s: %s while the kept parts of --ring-buffer were copied into it: the "
			  "trace keeps the oldest %llu bytes of them, %llu events were not written",
			  r->o.output, strerror(-assembly_err), (unsigned long long)bytes,
			  (unsigned long long)dropped);
	} else if (ret == -ENOSPC || ret == -EFBIG || ret == -EDQUOT) {
		pft_error("%s: %s: recording stopped; the trace keeps what was written "
			  "before (%llu bytes), %llu events were not written",
			  r->o.output, strerror(-ret), (unsigned long long)bytes,
			  (unsigned long long)dropped);
	} else if (ret) {
		pft_error("writing %s failed: %s; %llu events were not written", r->o.output,
			  strerror(-ret), (unsigned long long)dropped);
	}
	return ret || r->why == STOP_WAIT_ERROR ? 1 : 0;
}

/* Nothing was recorded: leave no file behind (a file that was there before
 * was not truncated). */
static void record_discard(struct record *r)
{
	if (r->w)
		pw_writer__close(r->w);
	else if (r->out.fd >= 0 && !r->owned)
		close(r->out.fd);
	r->w = NULL;
	if (r->out.created)
		unlink(r->o.output);
}

int cmd_record(int argc, char **argv)
{
	struct record r;
	int ret, status = 1;

	ret = record_opts_parse(&r.o, argc, argv);
	if (ret)
		return ret > 0 ? 0 : 2;
	record_init(&r);
	if (check_privileges()) {
		record_opts_fini(&r.o);
		return 1;
	}
	install_signals(&r.waitmask);
	if (record_prepare(&r) || record_open(&r))
		goto out_free;
	ret = record_start(&r);
	if (ret > 0)
		goto out_free;
	if (!ret)
		record_loop(&r);
	status = record_finish(&r);
out_free:
	target_fini(&r.t);
	if (!r.started)
		record_discard(&r);
	session__free(r.s);
	record_opts_fini(&r.o); /* after the spans source, which used o.spans */
	return status;
}
