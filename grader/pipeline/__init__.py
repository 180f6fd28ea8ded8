"""The pipeline that drives the stages: grade a class (plan, lookup, run, persist, report, composed by
classgrade.grade_folder), prove a rubric (selftest); the results store and the executors."""
