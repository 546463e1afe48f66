/* poolsim: a progress bar for long runs, on stderr. The caller shows it
 * only on a terminal (isatty), never in pipes or CI logs. */
#ifndef POOLSIM_PROGRESS_H
#define POOLSIM_PROGRESS_H

/* Redraw "[####....] done/total paths  N paths/s  left Ts" at most every
 * 0.2 s (always when `final`, which also ends the line). t0: start time
 * (poolsim_now_seconds); *last: time of the last redraw. */
void poolsim_progress_show(long done, long total, double t0, double *last, int final);

#endif
