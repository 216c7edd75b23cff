from meetkai_mka1.errors import *  # noqa: F403
