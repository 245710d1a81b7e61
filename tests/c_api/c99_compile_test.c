/* hinm.h must be pure C99: this file is compiled with -std=c99 -pedantic
 * -Werror, and also calls a few functions so the C linkage is exercised. */
#include "hinm/hinm.h"

#include <stdio.h>
#include <string.h>

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "FAILED: %s (last error: %s)\n", what, hinmGetLastErrorMessage());
    ++failures;
  }
}

int main(void) {
  hinmHandle_t handle = NULL;
  hinmPruneConfig_t config;
  hinmDescriptor_t desc = NULL;
  hinmDescriptorInfo_t info;
  float weights[16 * 8];
  float back[16 * 8];
  int i;
  int64_t plans = -1;

  expect(hinmGetVersion() == HINM_VERSION, "hinmGetVersion() == HINM_VERSION");
  expect(strcmp(hinmGetErrorName(HINM_STATUS_NULL_POINTER), "HINM_STATUS_NULL_POINTER") == 0,
         "hinmGetErrorName");
  expect(hinmCreate(NULL) == HINM_STATUS_NULL_POINTER, "hinmCreate(NULL)");
  expect(strlen(hinmGetLastErrorMessage()) > 0, "message after a failure");
  expect(hinmCreate(&handle) == HINM_STATUS_SUCCESS, "hinmCreate");
  expect(hinmSetAutotune(handle, 1) == HINM_STATUS_SUCCESS, "hinmSetAutotune");
  expect(hinmPruneConfigInit(&config) == HINM_STATUS_SUCCESS, "hinmPruneConfigInit");
  expect(config.struct_size == sizeof(hinmPruneConfig_t), "struct_size set by Init");
  config.tile_rows = 16;
  config.vector_sparsity = 0.5;

  for (i = 0; i < 16 * 8; ++i) weights[i] = (float)((i * 7) % 23) - 11.0f;
  expect(hinmCreateDescriptor(handle, &desc, 16, 8, weights, HINM_R_32F, 8, NULL, 0, &config) ==
             HINM_STATUS_SUCCESS,
         "hinmCreateDescriptor");
  expect(hinmGetDescriptorInfo(desc, &info, sizeof(info)) == HINM_STATUS_SUCCESS,
         "hinmGetDescriptorInfo");
  expect(info.rows == 16 && info.cols == 8 && info.kept_cols == 4, "info shape");
  expect(info.sparsity == 0.75, "info.sparsity == 0.75");
  expect(hinmDecompress(desc, back, HINM_R_32F, 8) == HINM_STATUS_SUCCESS, "hinmDecompress");
  expect(hinmGetTunedPlans(desc, NULL, 0, sizeof(hinmTunedPlan_t), &plans) == HINM_STATUS_SUCCESS &&
             plans == 0,
         "hinmGetTunedPlans: a new descriptor has none");
  expect(hinmDestroyDescriptor(desc) == HINM_STATUS_SUCCESS, "hinmDestroyDescriptor");
  expect(hinmDestroyDescriptor(desc) == HINM_STATUS_NOT_INITIALIZED, "double destroy");
  expect(hinmDestroy(handle) == HINM_STATUS_SUCCESS, "hinmDestroy");
  if (failures == 0) printf("c99_compile_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
