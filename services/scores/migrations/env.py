from services.common.migrations import run_env
from services.scores.models import Base

run_env(Base.metadata)
