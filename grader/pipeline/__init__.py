"""The pipeline that drives the stages: run one submission, grade a class, prove a rubric; the results store and executors."""
