"""Lessons for schoolchildren: how a public budget works, from an idea to the count of the votes."""
