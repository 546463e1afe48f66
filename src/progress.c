/* poolsim: the progress bar of long runs (include/poolsim/progress.h). */
#include "poolsim/progress.h"

#include <stdio.h>

#include "poolsim/common.h"

/* Progress bar on stderr (terminal only): bar, paths/s, time left. */
void poolsim_progress_show(long done, long total, double t0, double *last, int final)
{
    double now = poolsim_now_seconds();
    if (!final && now - *last < 0.2) return;
    *last = now;
    double el = now - t0, rate = el > 0 ? (double)done / el : 0;
    double left = rate > 0 ? (double)(total - done) / rate : 0;
    int width = 30, fill = total > 0 ? (int)(width * (double)done / (double)total) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r[%s] %ld/%ld paths  %.0f paths/s  %s %.0fs   ", bar, done, total, rate,
            final ? "took" : "left", final ? el : left);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}
