from meetkai_mka1.utils.retries import *  # noqa: F403
