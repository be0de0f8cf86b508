"""Tollgate: a gated TFX pipeline whose every step is recorded in ML Metadata."""

from setuptools import find_packages, setup

setup(
    name="tollgate",
    version="0.1.0",
    description="Gated TFX pipeline with lineage in ML Metadata",
    packages=find_packages(include=["pipeline*", "trainer*", "components*", "kubeflow*"]),
    # The examples' configs, the files only a `tollgate init` project has, and the desk's templates.
    package_data={"trainer": ["*/tollgate.toml", "*/init/*.py"], "pipeline": ["ui/templates/*.html", "ui/templates/*.js"]},
    python_requires=">=3.11",
    # Exact versions live in requirements/lock.txt, which every install uses.
    install_requires=[
        "tfx==1.16.0",
        "tensorflow==2.16.2",
        "tf-keras==2.16.0",
        "apache-beam==2.60.0",
        "ml-metadata==1.16.0",
        "kfp==2.13.0",
        "kfp-kubernetes==1.5.0",
        "matplotlib==3.11.2",
        "tf2onnx==1.17.0",
        "onnx==1.17.0",
        "onnxruntime==1.26.0",
        "onnxruntime-extensions==0.15.2",
        "scikit-learn==1.5.1",  # the digits example's data
        # OpenSSF model signing; 1.1.1 imports pyOpenSSL without declaring it.
        "model-signing==1.1.1",
        "pyOpenSSL==26.4.0",
        # The review desk (`tollgate ui`).
        "fastapi==0.165.0",
        "uvicorn==0.55.0",
        "python-multipart==0.0.34",
        "argon2-cffi==25.1.0",
        "webauthn==3.0.1",  # passkeys; it brings cbor2, which the desk also uses
        "cbor2==6.3.0",
    ],
    extras_require={
        "test": ["pytest", "pytest-timeout", "pytest-xdist", "import-linter", "selenium", "nbclient", "ipykernel"],
    },
    entry_points={"console_scripts": ["tollgate=pipeline.cli.main:program"]},
)
