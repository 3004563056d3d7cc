#include <cblas.h>
#include <stddef.h>

/* LAPACK's symmetric eigensolver, which libopenblas carries; Debian's libopenblas-dev ships no
   lapack.h, so it is declared here. Fortran convention: every argument by reference, then the
   hidden lengths of the two character arguments (gfortran passes them as size_t). */
void dsyev_(const char *jobz, const char *uplo, const blasint *n, double *a, const blasint *lda,
            double *w, double *work, const blasint *lwork, blasint *info,
            size_t jobz_length, size_t uplo_length);
