"""The course around the model: graded exercises and their checks, the student edition and the site, autograding,
and running the tutorials headless.

It imports the library; nothing in the library imports it (the CLI, the top floor, registers its verbs).

    exercises  the checks behind the notebooks' graded exercises (ExerciseError says what is wrong)
    editions   the student edition (nbgrader), a working copy, the course website (Jupyter Book)
    grading    nbgrader's autograder over students' folders, into one CSV
    tutorials  find, choose and execute the numbered notebooks (papermill)
    tools      whether the instructor's optional tools are installed
"""
