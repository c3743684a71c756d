"""App Home: what one person has waiting in Opsbot, and who to re-publish it for."""
