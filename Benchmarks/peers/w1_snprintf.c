/* W1 calibration peer (shared/bench/PEERS.md, "C, snprintf template + fwrite"): the same line as the peers write,
 * formatted with snprintf and written through a 256 KiB stdio buffer. Measured in the same run as Keel so that
 * figures from this machine can be set against PEERS.md's.
 *   usage: w1_snprintf OUTPUT [EVENTS]                                     */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: w1_snprintf OUTPUT [EVENTS]\n"); return 2; }
    long events = argc > 2 ? atol(argv[2]) : 1000000;
    FILE *out = fopen(argv[1], "w");
    if (!out) { perror(argv[1]); return 1; }
    static char buffer[256 * 1024];
    setvbuf(out, buffer, _IOFBF, sizeof buffer);
    char line[1024];
    for (long n = 0; n < events; n++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        int len = snprintf(line, sizeof line,
            "{\"timestamp\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\",\"level\":\"INFO\",\"message\":\"request handled\","
            "\"request_id\":\"%026ld\",\"tenant_id\":\"tenant_42\",\"route\":\"/v1/chat/completions\",\"status\":%d,"
            "\"duration_ms\":%g,\"user_id\":\"user_789\",\"model\":\"gpt-4o-mini\",\"tokens_prompt\":%d,"
            "\"tokens_response\":%d,\"retryable\":%s}\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000,
            n, 200, 12.5, 512, 128, "false");
        fwrite(line, 1, (size_t)len, out);
    }
    return fclose(out) == 0 ? 0 : 1;
}
